"""The pages' timecode module (``api/web/static/timecode.js``) agrees with ``jobs/timecode.py``, frame
by frame, at every rate a plate comes in, drop-frame included, in the browser that runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from jobs.timecode import FrameRate, frames_to_timecode, offset_timecode, timecode_to_frames

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytest_plugins = ["tests.browser_fixtures"]
pytestmark = pytest.mark.slow

RATES = [(24, 1, False), (24000, 1001, False), (25, 1, False), (30000, 1001, False), (30000, 1001, True),
         (60000, 1001, True), (50, 1, False), (120, 1, False)]
# around the drop-frame minute marks, ten-minute marks, an hour, and the wrap at 24 h
FRAMES = [*range(0, 40), *range(1790, 1830), *range(17970, 18010), 107_892, 2_589_407, 2_589_408,
          5_178_815, 5_178_816, 1_000_003]


def test_frames_to_timecode_and_back_match_python(page: Page) -> None:
    page.goto("/ui/sign-in")
    js = page.evaluate("""async ([rates, frames]) => {
        const tc = await import('/static/timecode.js');
        return rates.map(([num, den, df]) => frames.map((f) => {
            const text = tc.framesToTimecode(f, num, den, df);
            return [text, tc.timecodeToFrames(text, num, den), tc.offsetTimecode(text, 37, num, den)];
        }));
    }""", [RATES, FRAMES])
    for (num, den, df), results in zip(RATES, js, strict=True):
        rate = FrameRate(num, den)
        expected = [[frames_to_timecode(f, rate, df),
                     timecode_to_frames(frames_to_timecode(f, rate, df), rate),
                     offset_timecode(frames_to_timecode(f, rate, df), 37, rate)] for f in FRAMES]
        assert results == expected, f"{num}/{den} drop={df}"
