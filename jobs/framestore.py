"""Small pictures of every frame, written by the analysis pass itself.

Reading a burn-in or making a thumbnail needs a frame at full size, and on a
long-GOP movie fetching one frame means a seek plus decoding its whole group of
pictures: about a second on 1080p H.264. So while FFmpeg decodes the plate for
detection, the same process also writes, for every frame, a JPEG thumbnail and,
when burn-ins are read, the top and bottom strips of the picture at full
resolution (editorial systems draw burn-ins on bars there). Every later read is a
file read. Burn-in regions outside the strips fall back to seeking.

Files live in a scratch folder (``TMPDIR``): ``thumbs/%08d.jpg`` and
``strips/%08d.jpg``, numbered from 0 in presentation order like the analysis frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
import numpy.typing as npt
from PIL import Image

THUMB_WIDTH = 480
STRIP_SHARE = 0.2  # of the picture height, at the top and at the bottom
_THUMB_QUALITY, _STRIP_QUALITY = 3, 2  # FFmpeg -q:v for MJPEG (2 is near lossless)

RGB = npt.NDArray[np.uint8]
Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in stored pixels


def strip_height(height: int) -> int:
    """Rows kept at the top and at the bottom: an even number, so 4:2:0 crops stay aligned."""
    return min(height, 2 * math.ceil(height * STRIP_SHARE / 2))


@dataclass(frozen=True)
class FrameStore:
    """Where the analysis pass writes its pictures, and how to read them back."""

    root: Path
    width: int  # stored pixels of the plate
    height: int
    strips: bool  # whether the full-resolution strips are kept

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

    def strip_rects(self) -> list[Rect]:
        rows = strip_height(self.height)
        return [(0, 0, self.width, rows), (0, self.height - rows, self.width, self.height)]

    def covers(self, rects: Sequence[Rect]) -> bool:
        """Whether every rectangle lies inside a kept strip (read at full resolution)."""
        if not self.strips:
            return False
        return all(any(s[0] <= r[0] and s[1] <= r[1] and r[2] <= s[2] and r[3] <= s[3]
                       for s in self.strip_rects()) for r in rects)

    def whole(self, index: int) -> RGB:
        """Frame ``index`` at stored size: the thumbnail scaled up, with the strips pasted in
        at full resolution. Sharp where burn-ins sit, soft elsewhere."""
        with Image.open(self.thumbnail(index)) as thumb:
            canvas = np.asarray(thumb.convert("RGB").resize((self.width, self.height),
                                                            Image.Resampling.BILINEAR)).copy()
        return self._paste_strips(index, canvas) if self.strips else canvas

    def strips_only(self, index: int) -> RGB:
        """Frame ``index`` at stored size with only the strips filled in (black elsewhere)."""
        return self._paste_strips(index, np.zeros((self.height, self.width, 3), dtype=np.uint8))

    def _paste_strips(self, index: int, canvas: RGB) -> RGB:
        with Image.open(self.strip_file(index)) as img:
            strips = np.asarray(img.convert("RGB"))
        rows = strip_height(self.height)
        canvas[:rows] = strips[:rows, : self.width]
        canvas[self.height - rows:] = strips[rows: 2 * rows, : self.width]
        return canvas

    def outputs(self, stream: Any) -> list[Any]:
        """FFmpeg outputs that write this store from ``stream`` (the decoded frames)."""
        self.thumbs_dir.mkdir(parents=True, exist_ok=True)
        branches = stream.split()
        thumbs = (branches[0].filter("scale", "trunc(iw*sar/2)*2", "ih").filter("setsar", 1)
                  .filter("scale", THUMB_WIDTH, -2))
        outs = [jpeg_files(thumbs, self.thumbs_dir / "%08d.jpg", _THUMB_QUALITY)]
        if self.strips:
            self.strips_dir.mkdir(parents=True, exist_ok=True)
            rows = strip_height(self.height)
            top = branches[1].filter("crop", "iw", rows, 0, 0)
            bottom = branches[2].filter("crop", "iw", rows, 0, f"ih-{rows}")
            both = ffmpeg.filter([top, bottom], "vstack")
            outs.append(jpeg_files(both, self.strips_dir / "%08d.jpg", _STRIP_QUALITY))
        return outs


def jpeg_files(stream: Any, pattern: Path, quality: int, start_number: int = 0) -> Any:
    """An FFmpeg output writing each frame of ``stream`` as a JPEG file, ``pattern``'s number
    (printf style) counting from ``start_number``; no frame dropped or repeated."""
    return ffmpeg.output(stream, str(pattern), f="image2", start_number=start_number,
                         fps_mode="passthrough", **{"q:v": quality, "c:v": "mjpeg"}
                         ).overwrite_output()

