"""What a browser review page shows, written by the analysis pass itself (``review/``).

The decoding pass that feeds the detector (:mod:`jobs.decode`) also writes, from the same
decoded frames, so the plate is decoded once:

- ``review/proxy.mp4``: the plate at most 360 lines high, H.264 all-intra, constant frame
  rate, frame N = plate frame N (:class:`~jobs.manifest.ReviewProxy`);
- ``review/strip-0001.jpg``...: every frame as a small tile, packed into sprite sheets of
  :data:`SHEET_COLUMNS` x :data:`SHEET_ROWS` tiles (:class:`~jobs.manifest.StripSheet`).

After the pass, ``review/scores.json`` holds the hard-cut detector's score of every frame
(:class:`~jobs.manifest.ReviewScores`, where the file's format is described).

The frames are numbered before anything else: the review branch of the pass stamps frame N
with time N / rate (``setpts=N`` in a time base of 1 / rate), so the proxy has the plate's
rate exactly and no frame is dropped or repeated whatever the plate's own timestamps are
(variable frame rate, gaps, an image sequence's numbering).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
import numpy.typing as npt

from jobs import ffmpeg_cli
from jobs.detect import Detection
from jobs.framestore import jpeg_files
from jobs.hashing import sha256_files
from jobs.manifest import (
    PlateInfo,
    Rational,
    ReviewOutputs,
    ReviewProxy,
    ReviewScores,
    StripSheet,
)

REVIEW_DIR = "review"  # in the output folder
PROXY_NAME = "proxy.mp4"
PROXY_PIECE = "proxy-from-%08d.mp4"  # a part's stretch of the proxy, joined into PROXY_NAME
SCORES_NAME = "scores.json"
SHEET_PATTERN = "strip-%04d.jpg"  # numbered from 1
SHEET_FIRST_NUMBER = 1

PROXY_MAX_HEIGHT = 360  # lines; a smaller plate keeps its own (even) height
# libx264, every frame an IDR frame (keyint 1): a browser seeks to any frame by decoding it
# alone. ultrafast: about 0.8 ms a 640x360 frame on one core, under a twentieth of decoding a
# 1080p H.264 frame; veryfast took 3.5 times as long for files a sixth smaller at the same
# quality. CRF 28: 33 dB PSNR on the busy pictures of the speed benchmark's plate, 20 kB a
# frame (3.8 Mbit/s at 24 fps). docs/BENCHMARKS.md: "Cost of the review files"
PROXY_CODEC: dict[str, Any] = {"c:v": "libx264", "preset": "ultrafast", "crf": 28, "g": 1,
                               "pix_fmt": "yuv420p", "movflags": "+faststart"}

TILE_WIDTH = 96  # pixels of a strip tile, at most (and never wider than the proxy)
SHEET_COLUMNS = 20  # tiles across a strip sheet
SHEET_ROWS = 20  # tiles down: 400 frames a sheet, 1920 x 1080 pixels for a 16:9 plate
SHEET_FRAMES = SHEET_COLUMNS * SHEET_ROWS  # a part of a plate starts on a sheet's first frame
MAX_SHEET_SIDE = 4096  # pixels: what every browser decodes and draws without trouble
_SHEET_QUALITY = 5  # FFmpeg -q:v for MJPEG (2 best .. 31)

# scores.json: the score of a hard cut's margin of exactly 1 (see ReviewScores)
SCORE_THRESHOLD = 0.5
_SCORE_DECIMALS = 3

Size = tuple[int, int]  # width, height


def _even(value: float | Fraction) -> int:
    """The nearest even whole number, at least 2."""
    return max(2, 2 * round(value / 2))


def _even_down(value: int) -> int:
    return max(2, value - value % 2)


def picture_aspect(info: PlateInfo) -> Fraction:
    """Width over height of the plate as it is shown (its pixel aspect applied)."""
    num, _, den = info.pixel_aspect.partition(":")
    try:
        sar = Fraction(int(num), int(den))
    except (ValueError, ZeroDivisionError):  # not "N:D", or "0:0": unknown, taken as square
        sar = Fraction(1)
    return Fraction(info.width) * (sar if sar > 0 else 1) / info.height


def proxy_size(info: PlateInfo) -> Size:
    """Square pixels, the plate's picture aspect, at most :data:`PROXY_MAX_HEIGHT` lines."""
    height = _even_down(min(PROXY_MAX_HEIGHT, info.height))
    return _even(height * picture_aspect(info)), height


def tile_size(proxy: Size) -> Size:
    """A strip tile: :data:`TILE_WIDTH` wide (the proxy's width if narrower), the proxy's
    aspect; a very tall picture is narrowed so that a sheet stays within
    :data:`MAX_SHEET_SIDE`."""
    width, height = proxy
    tile_w = min(TILE_WIDTH, width)
    tile_h = _even(tile_w * height / width)
    tallest = _even_down(MAX_SHEET_SIDE // SHEET_ROWS)
    if tile_h > tallest:
        tile_w, tile_h = _even(tallest * width / height), tallest
    return tile_w, tile_h


@dataclass(frozen=True)
class ReviewPlan:
    """Where and how the decoding pass writes the review files of one plate."""

    root: Path  # the output folder: review/ is under it
    frame_rate: Rational
    proxy: Size
    tile: Size
    rgb: bool  # the plate's pictures are RGB (image sequences, mostly), not YUV
    part_first: int | None = None  # a part's plan: the plate frame it starts on (a sheet's first)

    @classmethod
    def for_plate(cls, info: PlateInfo, root: Path) -> ReviewPlan:
        proxy = proxy_size(info)
        rgb = "rgb" in info.pix_fmt or "bgr" in info.pix_fmt or info.pix_fmt.startswith("gbr")
        return cls(root, info.frame_rate, proxy, tile_size(proxy), rgb)

    @property
    def folder(self) -> Path:
        return self.root / REVIEW_DIR

    def for_part(self, first: int) -> ReviewPlan:
        """The plan of a part of the plate starting on frame ``first``: its proxy is a piece of
        its own (:func:`join_proxy_pieces`), its sheets numbered from the one ``first`` starts."""
        if first % SHEET_FRAMES:
            raise ValueError(f"a part's review starts on a sheet's first frame, not on {first}")
        return replace(self, part_first=first)

    @property
    def proxy_path(self) -> Path:
        first = self.part_first
        return self.folder / (PROXY_NAME if first is None else PROXY_PIECE % first)

    def sheet_path(self, number: int) -> Path:
        return self.folder / (SHEET_PATTERN % number)

    def feeds(self, width: int) -> bool:
        """Whether the proxy's pictures are at least ``width`` wide (other pictures can be
        scaled down from them)."""
        return self.proxy[0] >= width

    def outputs(self, stream: Any, also: Callable[[Any, str | None], Any] | None = None) -> list[Any]:
        """FFmpeg outputs that write the proxy and the strip sheets from ``stream`` (the
        decoded frames, in presentation order); ``also`` makes one more output from the proxy's
        pictures and their YUV matrix (None: the plate's own)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        rate = self.frame_rate
        # a YUV plate keeps its colours as they are (its colour tags go with them): converting
        # them to another matrix would cost swscale's slow path, 2.7 ms a 1080p frame; RGB is
        # converted anyway, to the BT.709 matrix, and tagged so
        colours = {"out_color_matrix": "bt709"} if self.rgb else {}
        numbered = (stream.filter("settb", f"{rate.den}/{rate.num}").filter("setpts", "N")
                    .filter("scale", *self.proxy, flags="area", threads=ffmpeg_cli.scale_threads(),
                            **colours)
                    .filter("setsar", 1))
        branches = numbered.split()
        tags = {"colorspace": "bt709"} if self.rgb else {}
        proxy = ffmpeg.output(branches[0], str(self.proxy_path), r=str(rate),
                              fps_mode="passthrough", **PROXY_CODEC, **tags).overwrite_output()
        tiles = (branches[1].filter("scale", *self.tile, flags="area")
                 .filter("tile", f"{SHEET_COLUMNS}x{SHEET_ROWS}"))
        sheets = jpeg_files(tiles, self.folder / SHEET_PATTERN, _SHEET_QUALITY,
                            SHEET_FIRST_NUMBER + (self.part_first or 0) // SHEET_FRAMES)
        if also is None:
            return [proxy, sheets]
        return [proxy, sheets, also(branches[2], "bt709" if self.rgb else None)]


def scores(margins: npt.NDArray[np.float32]) -> list[float]:
    """The detector's margins (1 at a hard cut's threshold) mapped onto 0..1, the threshold at
    :data:`SCORE_THRESHOLD`; rounded without crossing it (see ReviewScores)."""
    scale = 10**_SCORE_DECIMALS
    out = []
    for m in margins.astype(np.float64).tolist():
        if m >= 1.0:
            out.append(round(1 - 1 / (2 * m), _SCORE_DECIMALS))
        else:
            out.append(math.floor(m / 2 * scale) / scale)
    return out


def transients(detection: Detection) -> list[int]:
    """Frames over the threshold that are no hard cut: flashes, strobes and whip pans."""
    cuts = {b.frame for b in detection.boundaries if b.kind == "cut"}
    return [int(f) for f in np.nonzero(detection.margins >= 1.0)[0] if f > 0 and f not in cuts]


def write_scores(path: Path, detection: Detection) -> None:
    values = [int(v) if v.is_integer() else v for v in scores(detection.margins)]
    data = {"frame_count": len(values), "threshold": SCORE_THRESHOLD, "scores": values,
            "transients": transients(detection)}
    path.write_text(json.dumps(data, separators=(",", ":")))


def sheet_ranges(frames: int) -> list[tuple[int, int]]:
    """(first frame, frames) of each strip sheet."""
    return [(first, min(SHEET_FRAMES, frames - first)) for first in range(0, frames, SHEET_FRAMES)]


def join_proxy_pieces(plan: ReviewPlan, firsts: list[int]) -> None:
    """Join the proxy's pieces the parts wrote (starting on frames ``firsts``) into the one proxy,
    stream-copied (every frame is a keyframe), and remove them."""
    pieces = [plan.for_part(first).proxy_path for first in firsts]
    listing = plan.folder / "proxy-pieces.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in pieces))
    ffmpeg_cli.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "concat",
                    "-safe", "0", "-i", str(listing), "-c", "copy", "-r", str(plan.frame_rate),
                    "-movflags", "+faststart", str(plan.proxy_path)], "joining the review proxy",
                   bad_input=False)
    listing.unlink()
    for piece in pieces:
        piece.unlink()


def finish_review(plan: ReviewPlan, detection: Detection, frames: int) -> ReviewOutputs:
    """Write ``scores.json`` after the pass, check what the pass wrote, and describe it all
    (every file hashed) for the manifest."""
    if len(detection.margins) != frames:
        raise RuntimeError(f"detector scores for {len(detection.margins)} frames, {frames} decoded")
    write_scores(plan.folder / SCORES_NAME, detection)
    ranges = sheet_ranges(frames)
    written = sorted(p.name for p in plan.folder.glob(SHEET_PATTERN.replace("%04d", "*")))
    expected = [plan.sheet_path(SHEET_FIRST_NUMBER + i).name for i in range(len(ranges))]
    if written != expected:
        raise RuntimeError(f"the decoding pass wrote {len(written)} strip sheets, "
                           f"{len(expected)} expected")
    strips = [StripSheet(**_hashed(plan.root, name), first_frame=first, frames=count,
                         columns=SHEET_COLUMNS, rows=SHEET_ROWS, tile_width=plan.tile[0],
                         tile_height=plan.tile[1])
              for name, (first, count) in zip(expected, ranges, strict=True)]
    return ReviewOutputs(
        proxy=ReviewProxy(**_hashed(plan.root, PROXY_NAME), frames=frames, width=plan.proxy[0],
                          height=plan.proxy[1], frame_rate=plan.frame_rate),
        strips=strips,
        scores=ReviewScores(**_hashed(plan.root, SCORES_NAME), frames=frames,
                            threshold=SCORE_THRESHOLD))


def _hashed(root: Path, name: str) -> dict[str, Any]:
    """Path (relative to ``root``), SHA-256 and size of the review file ``name``."""
    path = f"{REVIEW_DIR}/{name}"
    digest, size = sha256_files([root / path])
    return {"path": path, "sha256": digest, "size_bytes": size}
