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


class StreamingDetector:
    """Feed descriptors in plate order; memory is bounded by ``core + 2 * margin`` frames.

    Each window reports only the events whose first frame lies in its core; the
    margins give every event its whole context (baseline, flash check, the full
    length of the longest transition) so the result equals one pass over the plate.
    """

    def __init__(self, settings: DetectorSettings, core: int = CORE_FRAMES) -> None:
        self.settings = settings
        self.core = core
        self.margin = (settings.gradual_max_frames + 2 * (settings.window + settings.flash_frames)
                       + _SPARE_CONTEXT)
        self._parts: list[Features] = []
        self._buffered = 0
        self._core_lo = 0  # first plate frame not yet reported on
        self.boundaries: list[Boundary] = []
        self.transitions: list[Transition] = []
        self._margins: list[F32] = []

    def push(self, features: Features) -> None:
        self._parts.append(features)
        self._buffered += len(features)
        while self._buffer_end() - self._core_lo >= self.core + self.margin:
            self._run(self._core_lo + self.core)

    @property
    def settled(self) -> int:
        """The first plate frame whose events are not reported yet: :attr:`boundaries` and
        :attr:`transitions` hold every one that starts before it."""
        return self._core_lo

    def finish(self) -> Detection:
        if self._parts:
            self._run(self._buffer_end())
        if not self._margins:
            return Detection(self.boundaries, self.transitions)
        return Detection(self.boundaries, self.transitions, np.concatenate(self._margins))

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
