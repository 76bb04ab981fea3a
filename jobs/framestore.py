"""Small pictures of every frame, written by the analysis pass itself.

Reading a burn-in or making a thumbnail needs a frame at full size, and on a
long-GOP movie fetching one frame means a seek plus decoding its whole group of
pictures: about a second on 1080p H.264. So while FFmpeg decodes the plate for
detection, the same process also writes, for every frame, a JPEG thumbnail (scaled
from the review proxy's pictures when the pass writes a proxy at least as wide, so
the full picture is not scaled a third time) and, when burn-ins are read, the rows
of the burn-in bands at full resolution (found
before the pass, :func:`jobs.burnin.stage.find_bands`): only the few text lines the
reads need, not the whole picture. Every later read is a file read. Regions outside
the kept rows fall back to seeking.

Files live in a scratch folder (``TMPDIR``): ``thumbs/%08d.jpg`` and
``strips/%08d.jpg`` (the bands stacked top to bottom), numbered from 0 in
presentation order like the analysis frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
import numpy.typing as npt
from PIL import Image

from jobs import ffmpeg_cli

THUMB_WIDTH = 480
_THUMB_QUALITY, _STRIP_QUALITY = 3, 2  # FFmpeg -q:v for MJPEG (2 is near lossless)
_THUMB_JPEG_QUALITY = 90  # Pillow's quality for a thumbnail made outside the pass, near -q:v 3

RGB = npt.NDArray[np.uint8]
Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in stored pixels
Rows = tuple[int, int]  # y0, y1 (end excluded) in stored pixels


def band_rows(height: int, rects: Sequence[Rect]) -> tuple[Rows, ...]:
    """The full-width rows that hold ``rects``, overlapping ones merged, top to bottom; each
    starts and ends on an even row (or the picture's last), so 4:2:0 crops stay aligned."""
    merged: list[list[int]] = []
    for _, y0, _, y1 in sorted(rects, key=lambda r: r[1]):
        top, bottom = y0 // 2 * 2, min(height, 2 * math.ceil(y1 / 2))
        if merged and top <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], bottom)
        elif bottom > top:
            merged.append([top, bottom])
    return tuple((top, bottom) for top, bottom in merged)


@dataclass(frozen=True)
class FrameStore:
    """Where the analysis pass writes its pictures, and how to read them back."""

    root: Path
    width: int  # stored pixels of the plate
    height: int
    bands: tuple[Rows, ...] = ()  # rows kept at full resolution (band_rows); none: thumbnails only
    first_number: int = 0  # the plate frame the pass's first written frame is (a part's first frame)

    @property
    def strips(self) -> bool:
        """Whether any rows are kept at full resolution."""
        return bool(self.bands)

    @property
    def thumbs_dir(self) -> Path:
        return self.root / "thumbs"

    @property
    def strips_dir(self) -> Path:
        return self.root / "strips"

    def thumbnail(self, index: int) -> Path:
        return self.thumbs_dir / f"{index:08d}.jpg"

    def strip_file(self, index: int) -> Path:
        return self.strips_dir / f"{index:08d}.jpg"

    def holds_strip(self, index: int) -> bool:
        """Whether frame ``index``'s kept rows are still here (:mod:`jobs.retention` lets go of
        those no read will want)."""
        return self.strip_file(index).exists()

    def write_thumbnail(self, index: int, picture: RGB, aspect: Fraction) -> Path:
        """Frame ``index``'s thumbnail made from ``picture`` (the frame at stored size, fetched
        from the plate) as the pass would have made it: :data:`THUMB_WIDTH` wide at the picture
        ``aspect`` (width over height as shown); its path."""
        height = max(2, 2 * round(Fraction(THUMB_WIDTH) / aspect / 2))  # FFmpeg's scale=W:-2
        self.thumbs_dir.mkdir(parents=True, exist_ok=True)
        path = self.thumbnail(index)
        Image.fromarray(picture).resize((THUMB_WIDTH, height), Image.Resampling.BICUBIC).save(
            path, quality=_THUMB_JPEG_QUALITY)
        return path

    def covers(self, rects: Sequence[Rect]) -> bool:
        """Whether every rectangle lies inside kept rows (read at full resolution)."""
        if not self.strips:
            return False
        return all(any(top <= r[1] and r[3] <= bottom for top, bottom in self.bands)
                   for r in rects)

    def whole(self, index: int) -> RGB:
        """Frame ``index`` at stored size: the thumbnail scaled up, with the strips pasted in
        at full resolution. Sharp where burn-ins sit, soft elsewhere."""
        with Image.open(self.thumbnail(index)) as thumb:
            canvas = np.asarray(thumb.convert("RGB").resize((self.width, self.height),
                                                            Image.Resampling.BILINEAR)).copy()
        return self._paste_strips(index, canvas) if self.strips else canvas

    def strips_only(self, index: int) -> RGB:
        """Frame ``index`` at stored size with only the kept rows filled in (black elsewhere)."""
        return self._paste_strips(index, np.zeros((self.height, self.width, 3), dtype=np.uint8))

    def _paste_strips(self, index: int, canvas: RGB) -> RGB:
        with Image.open(self.strip_file(index)) as img:
            return self._paste(np.asarray(img.convert("RGB")), canvas)

    def _paste(self, strips: RGB, canvas: RGB) -> RGB:
        at = 0
        for top, bottom in self.bands:
            canvas[top:bottom] = strips[at: at + bottom - top, : self.width]
            at += bottom - top
        return canvas

    def kept_rows(self, picture: RGB) -> RGB:
        """The rows of ``picture`` (a frame at stored size) this store keeps, stacked as in a
        strip file."""
        return np.concatenate([picture[top:bottom] for top, bottom in self.bands])

    def with_kept_rows(self, strips: RGB) -> RGB:
        """A frame at stored size holding only ``strips`` (:meth:`kept_rows`), black elsewhere."""
        return self._paste(strips, np.zeros((self.height, self.width, 3), dtype=np.uint8))

    def outputs(self, stream: Any, thumbnails: bool = True) -> list[Any]:
        """FFmpeg outputs that write this store from ``stream`` (the decoded frames); with
        ``thumbnails`` False only the strips (the thumbnails come from :meth:`thumbnail_output`
        on other pictures)."""
        branches = stream.split()
        outs = []
        if thumbnails:
            threads = ffmpeg_cli.scale_threads()
            square = (branches[0].filter("scale", "trunc(iw*sar/2)*2", "ih", threads=threads)
                      .filter("setsar", 1))
            outs.append(self.thumbnail_output(square, threads=threads))
        if self.strips:
            self.strips_dir.mkdir(parents=True, exist_ok=True)
            crops = [branches[1 + i].filter("crop", "iw", bottom - top, 0, top)
                     for i, (top, bottom) in enumerate(self.bands)]
            stacked = ffmpeg.filter(crops, "vstack", inputs=len(crops)) if len(crops) > 1 else crops[0]
            outs.append(jpeg_files(stacked, self.strips_dir / "%08d.jpg", _STRIP_QUALITY,
                                   self.first_number))
        return outs

    def thumbnail_output(self, pictures: Any, matrix: str | None = None, threads: int = 1) -> Any:
        """The FFmpeg output writing the thumbnail of every frame of ``pictures`` (square pixels,
        at least :data:`THUMB_WIDTH` wide). ``matrix``: their YUV matrix when it is not the one a
        JPEG is read with (BT.601), as when they were converted from RGB to BT.709."""
        self.thumbs_dir.mkdir(parents=True, exist_ok=True)
        colours = {"in_color_matrix": matrix, "out_color_matrix": "bt601"} if matrix else {}
        thumbs = pictures.filter("scale", THUMB_WIDTH, -2, threads=threads, **colours)
        return jpeg_files(thumbs, self.thumbs_dir / "%08d.jpg", _THUMB_QUALITY, self.first_number)


def jpeg_files(stream: Any, pattern: Path, quality: int, start_number: int = 0) -> Any:
    """An FFmpeg output writing each frame of ``stream`` as a JPEG file, ``pattern``'s number
    (printf style) counting from ``start_number``; no frame dropped or repeated."""
    return ffmpeg.output(stream, str(pattern), f="image2", start_number=start_number,
                         fps_mode="passthrough", **{"q:v": quality, "c:v": "mjpeg"}
                         ).overwrite_output()

