"""The review files: a proxy a browser seeks frame by frame, the thumbnail strip, the scores.

The plates show their own frame number (tests/media.py ``numbered_plate``), so every frame of
the proxy and every tile of the strip is checked to be the plate frame it claims to be.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jobs.manifest import Manifest, PlateInfo, Rational, ReviewOutputs
from jobs.pipeline import SplitOptions, run_split
from jobs.review import (
    MAX_SHEET_SIDE,
    SHEET_COLUMNS,
    SHEET_ROWS,
    TILE_WIDTH,
    proxy_size,
    scores,
    tile_size,
)
from jobs.synth_suite import SUITE, file_name
from jobs.timecode import FrameRate
from tests.conftest import SplitRunner
from tests.media import (
    CODE_BITS,
    counted_frames,
    frame_numbers,
    numbered_plate,
    stream_info,
    stripe_number,
)


@dataclass(frozen=True)
class Numbered:
    file: str
    frames: int
    size: tuple[int, int]
    rate: str
    sar: str = "1/1"
    vfr_from: int | None = None
    png: bool = False
    # what the review must be
    proxy: tuple[int, int] = (0, 0)
    sheets: int = 1


NUMBERED = {
    # anamorphic DV-like picture (16:9 on 720x480), long GOP with B-frames, two strip sheets
    "anamorphic_2398": Numbered("anamorphic.mp4", 420, (720, 480), "24000/1001", sar="32/27",
                                proxy=(640, 360), sheets=2),
    # 40 frames at 24 fps, then 30 fps: the proxy keeps every frame, at 24 fps
    "vfr": Numbered("vfr.mp4", 60, (320, 180), "24", vfr_from=40, proxy=(320, 180)),
    # a PNG sequence from 1001 at 25 fps, smaller than the proxy's height: kept as it is
    "sequence_25": Numbered("seq.%04d.png", 48, (160, 90), "25", png=True, proxy=(160, 90)),
}


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Manifest]]:
    """Every NUMBERED plate, split with its review files (no cut media, no OCR)."""
    root = tmp_path_factory.mktemp("review")
    done = {}
    for name, plate in NUMBERED.items():
        path = root / "plates" / plate.file
        numbered_plate(path, plate.frames, plate.size, plate.rate, sar=plate.sar,
                       vfr_from=plate.vfr_from, codec=["-pix_fmt", "rgb24"] if plate.png else None)
        options = SplitOptions(split=False, ocr=None, sequence_rate=FrameRate.parse(plate.rate)
                               if plate.png else None)
        done[name] = root / name, run_split(str(path), root / name, options)
    return done


def _review(manifest: Manifest) -> ReviewOutputs:
    assert manifest.review is not None
    return manifest.review


def _packets(path: Path) -> tuple[Fraction, list[tuple[int, str]]]:
    """The stream's time base, and (pts, flags) of every packet in presentation order."""
    tb = stream_info(path, "time_base")["time_base"]
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "packet=pts,flags", "-of", "csv=p=0", str(path)],
                         capture_output=True, check=True, text=True).stdout
    packets = [(int(pts), flags) for pts, flags in (line.split(",")[:2]
                                                    for line in out.split())]
    return Fraction(tb), sorted(packets)


def _top_level_boxes(path: Path) -> list[str]:
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        boxes.append(data[at + 4 : at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        at += size if size else len(data)
    return boxes


@pytest.mark.parametrize("name", sorted(NUMBERED))
def test_the_proxy_holds_every_plate_frame_at_the_plates_exact_rate(
        numbered: dict[str, tuple[Path, Manifest]], name: str) -> None:
    out, manifest = numbered[name]
    plate, review = NUMBERED[name], _review(manifest)
    path = out / review.proxy.path
    rate = manifest.plate.frame_rate
    assert Fraction(rate.num, rate.den) == Fraction(plate.rate)
    assert manifest.plate.frame_count == plate.frames
    assert counted_frames(path) == review.proxy.frames == plate.frames
    assert (review.proxy.width, review.proxy.height) == plate.proxy
    assert review.proxy.frame_rate == rate
    info = stream_info(path, "codec_name,pix_fmt,width,height,sample_aspect_ratio,"
                             "r_frame_rate,avg_frame_rate")
    assert info["codec_name"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert (int(info["width"]), int(info["height"])) == plate.proxy
    assert info["sample_aspect_ratio"] in ("1:1", "N/A")
    assert info["r_frame_rate"] == info["avg_frame_rate"] == str(rate)
    # every frame a keyframe, frame k at exactly k / rate
    time_base, packets = _packets(path)
    assert all("K" in flags for _, flags in packets)
    assert [pts * time_base for pts, _ in packets] == [
        k * Fraction(rate.den, rate.num) for k in range(plate.frames)]
    # frame k of the proxy is plate frame k
    assert frame_numbers(path) == list(range(plate.frames))
    boxes = _top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart: playable while loading


def _tiles(sheet: Path, columns: int, rows: int, size: tuple[int, int]) -> list[Image.Image]:
    """The sheet's tiles, row by row."""
    with Image.open(sheet) as img:
        picture = img.convert("L")
    assert picture.size == (columns * size[0], rows * size[1])
    corners = [(k % columns * size[0], k // columns * size[1]) for k in range(columns * rows)]
    return [picture.crop((x, y, x + size[0], y + size[1])) for x, y in corners]


def _number(tile: Image.Image) -> int:
    return stripe_number(np.asarray(tile.resize((CODE_BITS, 1), Image.Resampling.BOX))[0])


@pytest.mark.parametrize("name", sorted(NUMBERED))
def test_each_strip_tile_is_its_plate_frame(numbered: dict[str, tuple[Path, Manifest]],
                                            name: str) -> None:
    out, manifest = numbered[name]
    plate, review = NUMBERED[name], _review(manifest)
    assert len(review.strips) == plate.sheets
    per_sheet = SHEET_COLUMNS * SHEET_ROWS
    for s, sheet in enumerate(review.strips):
        assert sheet.path == f"review/strip-{s + 1:04d}.jpg"
        assert sheet.first_frame == s * per_sheet
        assert (sheet.columns, sheet.rows) == (SHEET_COLUMNS, SHEET_ROWS)
        size = (sheet.tile_width, sheet.tile_height)
        assert size == tile_size(plate.proxy) and size[0] == min(TILE_WIDTH, plate.proxy[0])
        tiles = _tiles(out / sheet.path, sheet.columns, sheet.rows, size)
        shown = list(range(sheet.first_frame, sheet.first_frame + sheet.frames))
        assert [_number(tile) for tile in tiles[: sheet.frames]] == shown
        assert all(np.asarray(tile).max() < 24 for tile in tiles[sheet.frames :])  # black
    assert sum(sheet.frames for sheet in review.strips) == plate.frames


def test_every_review_file_is_hashed_and_the_manifest_reads_back(
        numbered: dict[str, tuple[Path, Manifest]]) -> None:
    out, manifest = numbered["anamorphic_2398"]
    review = _review(manifest)
    for file in [review.proxy, *review.strips, review.scores]:
        data = (out / file.path).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (file.sha256, file.size_bytes)
    assert sorted(p.name for p in (out / "review").iterdir()) == [
        "proxy.mp4", "scores.json", "strip-0001.jpg", "strip-0002.jpg"]
    assert Manifest.from_json((out / "manifest.json").read_text()) == manifest


def test_scores_peak_over_the_threshold_at_the_cuts_alone(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    out, manifest, truth = split_plate(file_name("different", spec), spec, split=False, ocr=None)
    review = _review(manifest)
    raw = (out / review.scores.path).read_text()
    assert " " not in raw  # compact
    data = json.loads(raw)
    values, threshold = data["scores"], data["threshold"]
    assert threshold == review.scores.threshold == 0.5
    assert len(values) == data["frame_count"] == review.scores.frames == truth.frame_count
    assert all(0 <= v <= 1 and round(v, 3) == v for v in values) and values[0] == 0
    assert [k for k, v in enumerate(values) if v >= threshold] == truth.cut_starts
    assert data["transients"] == []
    # over the threshold, a frame's score is the confidence of the cut found there
    assert [values[c.first_frame] for c in manifest.cuts[1:]] == [c.confidence
                                                                  for c in manifest.cuts[1:]]


def test_flashes_score_over_the_threshold_and_are_named_transients(
        split_plate: SplitRunner) -> None:
    spec = SUITE["flash_strobe"]
    out, manifest, truth = split_plate(file_name("flash_strobe", spec), spec, split=False,
                                       ocr=None)
    data = json.loads((out / _review(manifest).scores.path).read_text())
    above = [k for k, v in enumerate(data["scores"]) if v >= data["threshold"]]
    assert data["transients"] and set(data["transients"]) <= set(above)
    assert sorted(set(above) - set(data["transients"])) == truth.cut_starts == [60]


def test_scores_never_cross_the_threshold_by_rounding() -> None:
    margins = np.array([0, 0.5, 0.9995, 0.99999, 1.0, 1.0004, 2.0, 1e9], dtype=np.float32)
    assert scores(margins) == [0.0, 0.25, 0.499, 0.499, 0.5, 0.5, 0.75, 1.0]


def test_proxy_and_tile_geometry() -> None:
    def size(width: int, height: int, sar: str = "1:1") -> tuple[int, int]:
        return proxy_size(PlateInfo(source="p.mov", kind="movie", container="mov", codec="h264",
                                    width=width, height=height, pixel_aspect=sar,
                                    pix_fmt="yuv420p", bit_depth=8,
                                    frame_rate=Rational(num=24, den=1), frame_count=1,
                                    frame_count_counted=False, duration="1/24",
                                    intra_only=False))

    assert size(1920, 1080) == (640, 360)
    assert size(4096, 1716) == (860, 360)  # 2.39:1 scope
    assert size(1440, 1080, "4:3") == (640, 360)  # anamorphic HDV
    assert size(2048, 858, "2:1") == (1718, 360)  # 2x anamorphic scope
    assert size(1080, 1920) == (202, 360)  # portrait
    assert size(321, 181) == (320, 180)  # small: its own size, even
    assert tile_size((640, 360)) == (96, 54)
    assert tile_size((60, 40)) == (60, 40)  # never wider than the proxy
    tall = tile_size((202, 3600))
    assert tall[1] * SHEET_ROWS <= MAX_SHEET_SIDE and tall[0] * SHEET_COLUMNS <= MAX_SHEET_SIDE
    assert all(v % 2 == 0 for v in (*tall, *tile_size((860, 360)), *size(4096, 1716)))
