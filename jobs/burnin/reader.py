"""Reading the burn-in bands of single frames, each frame at most once."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from jobs.burnin.fields import BurnInFields
from jobs.burnin.parse import ReadText, parse_fields
from jobs.burnin.regions import Region
from jobs.framestore import RGB
from jobs.ocr.engine import OcrEngine

_GAP = 8  # black rows between stacked bands


class BurnInReader:
    """``reader(frame)`` gives a frame's burn-ins; all bands are read in one OCR call."""

    def __init__(self, grab: Callable[[int], RGB], engine: OcrEngine, regions: list[Region],
                 pattern: re.Pattern[str]) -> None:
        self._grab, self._engine, self._regions, self._pattern = grab, engine, regions, pattern
        self._cache: dict[int, BurnInFields] = {}
        self.calls = 0

    def __call__(self, frame: int) -> BurnInFields:
        if frame not in self._cache:
            self._cache[frame] = self._read(frame)
        return self._cache[frame]

    @property
    def reads(self) -> dict[int, BurnInFields]:
        return dict(sorted(self._cache.items()))

    def _read(self, frame: int) -> BurnInFields:
        image = self._grab(frame)
        stacked, offsets = stack_bands(image, self._regions)
        self.calls += 1
        texts = []
        for box in self._engine.read(stacked):
            centre = (box.box[1] + box.box[3]) / 2
            band = max(i for i, top in enumerate(offsets) if centre >= top - _GAP)
            x0, y0, x1, y1 = box.box
            texts.append(ReadText(band, box.text, box.confidence, x0, x1, y1 - y0))
        return parse_fields(frame, texts, self._pattern)


def stack_bands(image: RGB, regions: list[Region]) -> tuple[RGB, list[int]]:
    """The bands of ``image`` one above the other, and where each one starts."""
    h, w = image.shape[:2]
    crops = []
    for region in regions:
        x0, y0, x1, y1 = region.pixels(w, h)
        crops.append(image[y0:y1, x0:x1])
    width = max(c.shape[1] for c in crops)
    parts, offsets, top = [], [], 0
    for crop in crops:
        padded = np.zeros((crop.shape[0] + _GAP, width, 3), dtype=np.uint8)
        padded[: crop.shape[0], : crop.shape[1]] = crop
        parts.append(padded)
        offsets.append(top)
        top += padded.shape[0]
    return np.concatenate(parts, axis=0), offsets
