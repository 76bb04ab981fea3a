"""What the frame store lets go of while the analysis pass runs, so its scratch space follows the
number of cuts rather than the plate's length.

The pass writes a thumbnail and the burn-in rows of every frame, but later stages want few of them:
the thumbnail of each cut's middle frame (:func:`jobs.pictures.middle_frame`), and burn-in reads at
each cut's clear ends, across its transitions, and where a bisection for a cut only the burn-ins
show lands (:mod:`jobs.burnin.refine`). As the streaming detector settles the cuts of each stretch
of the plate, the files no later read can want are deleted. A read that wants one anyway (a cut the
burn-ins add or merge, a misread checked in a cut's middle) fetches the frame from the plate
instead: slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from jobs.detect import Boundary
from jobs.framestore import FrameStore

NEAR_FRAMES = 3  # burn-in rows kept either side of cuts and transitions: clear ends, misread checks
MIDDLE_FRAMES = 2  # thumbnails kept either side of a cut's middle (handles on a scan move it)
LADDER_FRAMES = 16  # burn-in rows of every 16th frame kept: a bisection narrows to 16 frames from the store

PathOf = Callable[[int], Path]


@dataclass
class Retention:
    """Deletes, stretch by stretch, the frame store's files that no later stage can want."""

    store: FrameStore
    strips_from: int = 0  # first frame whose burn-in rows were not yet considered
    thumbs_from: int = 0  # first frame whose thumbnail was not yet considered
    settled: int = 0  # the detector's settled frame at the last release
    first: int = 0  # the first frame of the plate, or of the part of it the pass writes

    @classmethod
    def from_frame(cls, store: FrameStore, first: int) -> Retention:
        """For a pass writing the frames from ``first`` on (a part of the plate: jobs.parts)."""
        return cls(store, first, first, first, first)

    def release(self, boundaries: list[Boundary], settled: int) -> None:
        """Let go of what is not wanted before ``settled``, the first frame whose cuts the
        detector has not settled yet (``boundaries`` are those it has, in plate order)."""
        if settled == self.settled:
            return
        self.settled = settled
        limit = settled - NEAR_FRAMES - 2  # a later cut's clear end can be at settled - 1
        if self.store.strips and limit > self.strips_from:
            keep = strip_frames_wanted(boundaries)
            self._delete(self.store.strip_file, self.strips_from, limit, keep, LADDER_FRAMES)
            self.strips_from = limit
        starts = [self.first] + [b.frame for b in boundaries]
        open_start = starts[-1]
        open_middle_low = open_start + (settled - open_start) // 2 - MIDDLE_FRAMES
        thumbs_limit = min(limit, open_middle_low)
        if thumbs_limit > self.thumbs_from:
            keep = thumbnail_frames_wanted(starts)
            self._delete(self.store.thumbnail, self.thumbs_from, thumbs_limit, keep, 0)
            self.thumbs_from = thumbs_limit

    @staticmethod
    def _delete(path_of: PathOf, first: int, end: int, keep: set[int], ladder: int) -> None:
        for index in range(first, end):
            if index not in keep and not (ladder and index % ladder == 0):
                path_of(index).unlink(missing_ok=True)


def strip_frames_wanted(boundaries: list[Boundary]) -> set[int]:
    """Frames whose burn-in rows reads will want: near frame 0 and every cut, and across every
    transition with a few frames either side (a cut's clear ends lie there, and a segment that
    is all transition is read in its middle)."""
    wanted = set(range(NEAR_FRAMES + 1))
    for boundary in boundaries:
        first, last = boundary.frame, boundary.frame
        if boundary.transition is not None:
            first = min(first, boundary.transition.first_frame)
            last = max(last, boundary.transition.last_frame)
        wanted.update(range(max(0, first - NEAR_FRAMES - 1), last + NEAR_FRAMES + 2))
    return wanted


def thumbnail_frames_wanted(starts: list[int]) -> set[int]:
    """Frames around the middle of every cut that both ends of are known (``starts``: the first
    frame of each cut, in order; the last one is still open)."""
    wanted: set[int] = set()
    for first, end in pairwise(starts):
        middle = first + (end - first - 1) // 2
        wanted.update(range(max(first, middle - MIDDLE_FRAMES), middle + MIDDLE_FRAMES + 1))
    return wanted

