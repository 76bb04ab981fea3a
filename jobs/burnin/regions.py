"""Where the burn-ins are: text that stays in place while the pictures change.

Whole pictures spread over the plate are read once, before the analysis pass; text boxes found at the
same place on most samples are burn-ins. They are grouped into full-width bands
(editorial systems draw them on bars at the top and bottom), and only those bands
are read from then on. Sites can also give the bands in their settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.framestore import RGB
from jobs.ocr.engine import OcrEngine, TextBox

SAMPLE_WIDTH = 960
# a burn-in line is a few percent of the picture tall; a taller "text" box is the detector
# reading a picture (a blurred frame once came back as one box over the whole frame)
MAX_LINE_HEIGHT = 0.12
_REGION = re.compile(r"^\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*$")


@dataclass(frozen=True)
class Region:
    """A rectangle as fractions of the picture: left, top, width, height (0..1)."""

    x: float
    y: float
    w: float
    h: float

    @classmethod
    def parse(cls, text: str) -> Region:
        m = _REGION.match(text)
        values = [float(v) for v in m.groups()] if m else []
        if not values or not all(0 <= v <= 1 for v in values) or values[2] == 0 or values[3] == 0:
            raise ValueError(f"not a region: {text!r} (use x,y,w,h as fractions, e.g. 0,0,1,0.1)")
        return cls(*values)

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        x0, y0 = math.floor(self.x * width), math.floor(self.y * height)
        x1 = min(width, math.ceil((self.x + self.w) * width))
        y1 = min(height, math.ceil((self.y + self.h) * height))
        return x0, y0, x1, y1

    def __str__(self) -> str:
        return f"{self.x:.3f},{self.y:.3f},{self.w:.3f},{self.h:.3f}"


def _relative(box: TextBox, width: int, height: int) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box.box
    return x0 / width, y0 / height, x1 / width, y1 / height


def _same_place(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Boxes at the same height that overlap horizontally (text inside may change)."""
    overlap_y = min(a[3], b[3]) - max(a[1], b[1])
    overlap_x = min(a[2], b[2]) - max(a[0], b[0])
    return overlap_y >= 0.5 * min(a[3] - a[1], b[3] - b[1]) and overlap_x > 0


def stable_boxes(samples: Sequence[list[tuple[float, float, float, float]]],
                 min_share: float = 0.6) -> list[tuple[float, float, float, float]]:
    """Boxes of the first sample seen at the same place on most samples."""
    need = max(2, math.ceil(min_share * len(samples)))
    found: list[tuple[float, float, float, float]] = []
    for boxes in samples:
        for box in boxes:
            hits = sum(any(_same_place(box, other) for other in others) for others in samples)
            if hits >= need and not any(_same_place(box, f) for f in found):
                found.append(box)
    return found


def bands(boxes: list[tuple[float, float, float, float]]) -> list[Region]:
    """Full-width bands around rows of boxes, padded by half a text height."""
    rows: list[list[float]] = []
    for _, y0, _, y1 in sorted(boxes, key=lambda b: b[1]):
        if rows and y0 <= rows[-1][1]:
            rows[-1][1] = max(rows[-1][1], y1)
        else:
            rows.append([y0, y1])
    out = []
    for top, bottom in rows:
        pad = (bottom - top) / 2
        y0, y1 = max(0.0, top - pad), min(1.0, bottom + pad)
        out.append(Region(0.0, y0, 1.0, y1 - y0))
    return out


def _shrink(image: RGB, width: int = SAMPLE_WIDTH) -> RGB:
    """A whole frame at most ``width`` wide (by whole-pixel steps): only where text sits
    matters here, and the detector works at this size anyway."""
    step = max(1, -(-image.shape[1] // width))
    return image[::step, ::step] if step > 1 else image


def find_regions(pictures: Sequence[RGB], engine: OcrEngine) -> list[Region]:
    """Burn-in bands of a plate, from whole ``pictures`` spread over it."""
    samples = []
    for picture in pictures:
        image = _shrink(picture)
        h, w = image.shape[:2]
        boxes = [_relative(b, w, h) for b in engine.read(image) if b.text.strip()]
        samples.append([b for b in boxes if b[3] - b[1] <= MAX_LINE_HEIGHT])
    if len(samples) < 2:
        return []
    return bands(stable_boxes(samples))
