"""Run detection over a plate of any length in overlapping windows of bounded size."""

from __future__ import annotations

import numpy as np

from jobs.detect import Boundary, Detection, detect_window
from jobs.features import F32, Features
from jobs.manifest import DetectorSettings, Transition

# Frames each window reports on; with its two margins, the most frames held at once
CORE_FRAMES = 2048
# Context added to each margin beyond what the settings reach (the longest transition,
# the baseline window, the flash span): it covers the 48 frames either side that
# jobs.gradual takes a frame's quiet level from, with a few to spare
_SPARE_CONTEXT = 56


def context_frames(settings: DetectorSettings) -> int:
    """Frames of context an event needs either side of it (a window's margin, a part's overlap)."""
    return settings.gradual_max_frames + 2 * (settings.window + settings.flash_frames) + _SPARE_CONTEXT


class StreamingDetector:
    """Feed descriptors in plate order; memory is bounded by ``core + 2 * margin`` frames.

    Each window reports only the events whose first frame lies in its core; the
    margins give every event its whole context (baseline, flash check, the full
    length of the longest transition) so the result equals one pass over the plate.
    """

    def __init__(self, settings: DetectorSettings, core: int = CORE_FRAMES, first: int = 0,
                 end: int | None = None) -> None:
        """Report the events starting in frames ``first`` .. ``end`` - 1 (``None``: the last frame
        pushed); frames pushed outside them are context only (a part of a plate, :mod:`jobs.parts`)."""
        self.settings = settings
        self.core = core
        self.margin = context_frames(settings)
        self._parts: list[Features] = []
        self._buffered = 0
        self._core_lo = first  # first plate frame not yet reported on
        self._end = end
        self.boundaries: list[Boundary] = []
        self.transitions: list[Transition] = []
        self._margins: list[F32] = []

    def push(self, features: Features) -> None:
        self._parts.append(features)
        self._buffered += len(features)
        while (self._buffer_end() - self._core_lo >= self.core + self.margin
               and self._core_lo < self._report_end()):
            self._run(min(self._core_lo + self.core, self._report_end()))

    @property
    def settled(self) -> int:
        """The first plate frame whose events are not reported yet: :attr:`boundaries` and
        :attr:`transitions` hold every one that starts before it."""
        return self._core_lo

    def finish(self) -> Detection:
        last = min(self._buffer_end(), self._report_end())
        if self._parts and self._core_lo < last:
            self._run(last)
        if not self._margins:
            return Detection(self.boundaries, self.transitions)
        return Detection(self.boundaries, self.transitions, np.concatenate(self._margins))

    def _report_end(self) -> int:
        return self._buffer_end() if self._end is None else self._end

    def _buffer_end(self) -> int:
        return self._parts[0].start + self._buffered if self._parts else 0

    def _run(self, core_hi: int) -> None:
        window = Features.concat(self._parts) if len(self._parts) > 1 else self._parts[0]
        hi = min(self._buffer_end(), core_hi + self.margin)
        found = detect_window(window.slice(window.start, hi), self.settings)
        lo, top = self._core_lo, core_hi
        self.boundaries += [b for b in found.boundaries
                            if lo <= (b.transition.first_frame if b.transition else b.frame) < top]
        self.transitions += [t for t in found.transitions if lo <= t.first_frame < top]
        self._margins.append(found.margins[lo - window.start : top - window.start])
        self._core_lo = core_hi
        keep_from = max(window.start, core_hi - self.margin)
        rest = window.slice(keep_from, self._buffer_end())
        self._parts, self._buffered = [rest], len(rest)
