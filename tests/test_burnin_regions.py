"""Finding the burn-in bands from text that stays in place on sampled frames."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from jobs.burnin.regions import Region, find_regions
from jobs.ocr.engine import OcrInfo, TextBox


class ScriptedEngine:
    """An OCR engine that answers each sampled frame with the boxes given for it."""

    def __init__(self, answers: list[list[TextBox]]) -> None:
        self.answers = answers

    def read(self, image: NDArray[np.uint8]) -> list[TextBox]:
        return self.answers.pop(0)

    def info(self) -> OcrInfo:
        raise NotImplementedError


def _pictures(count: int) -> list[NDArray[np.uint8]]:
    return [np.zeros((540, 960, 3), dtype=np.uint8)] * count  # boxes below are in these pixels


NAME = TextBox("SH010_0040", 0.99, (20, 10, 200, 40))  # a line 30 px tall at the top
WHOLE = TextBox("1", 0.6, (0, 0, 960, 540))  # the detector reading a blurred picture


def test_text_in_place_on_most_samples_is_a_band() -> None:
    engine = ScriptedEngine([[NAME], [NAME], [NAME], []])
    # full width, padded by half the line height (15 px) above (clipped at 0) and below
    assert find_regions(_pictures(4), engine) == [Region(0.0, 0.0, 1.0, 55 / 540)]


def test_a_box_over_the_whole_picture_is_not_a_burn_in() -> None:
    engine = ScriptedEngine([[WHOLE], [WHOLE, NAME], [WHOLE], [WHOLE]])
    assert find_regions(_pictures(4), engine) == []
