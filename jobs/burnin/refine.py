"""Burn-ins in detection: hidden cuts found by bisection, picture cuts checked.

A change of shot name, or a timecode or counter that does not advance by one
frame, is a cut on that exact frame even where the pictures look alike. A picture
cut across which the burn-ins run on is suspicious: it is not split, and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.burnin.fields import BurnInFields, Continuity, continuity
from jobs.timecode import FrameRate

Reader = Callable[[int], BurnInFields]
Pivot = Callable[[int, int], int]  # where a bisection between two frames reads next, strictly between


def middle(lo: int, hi: int) -> int:
    return (lo + hi) // 2


@dataclass(frozen=True)
class Segment:
    first: int
    last: int
    first_clean: int  # first frame outside any incoming transition (where burn-ins are clear)
    last_clean: int


@dataclass
class Refinement:
    burnin_cuts: list[int] = field(default_factory=list)  # cuts only the burn-ins show
    confirmed: list[int] = field(default_factory=list)  # picture cuts the burn-ins agree with
    suspicious: list[int] = field(default_factory=list)  # picture cuts the burn-ins run across
    unchecked: list[int] = field(default_factory=list)  # picture cuts without readable burn-ins


def _first_break(read: Reader, lo: int, hi: int, rate: FrameRate, pivot: Pivot) -> int:
    """Frames lo and hi disagree; bisect to the first frame that breaks from lo."""
    start = read(lo)
    while hi - lo > 1:
        mid = pivot(lo, hi)
        if continuity(start, read(mid), rate) is Continuity.BREAKS:
            hi = mid
        else:
            lo = mid
            start = read(lo)
    return hi


def _misread(read: Reader, cut: int, seg: Segment, rate: FrameRate) -> bool:
    """A break at ``cut`` that is not a new shot running on: one frame was misread.

    The incoming shot must run on from ``cut`` to the next frame (so a break on the
    segment's last frame cannot be confirmed), the outgoing one must be read running on
    into ``cut - 1`` (one misread frame at the segment's start, right after a dissolve,
    must not make a cut), and the frames either side of ``cut`` must not agree.
    """
    if cut >= seg.last_clean or cut < 2:
        return True
    if continuity(read(cut), read(cut + 1), rate) is Continuity.BREAKS:
        return True
    if continuity(read(cut - 2), read(cut - 1), rate) is not Continuity.RUNS_ON:
        return True
    return continuity(read(cut - 1), read(cut + 1), rate) is Continuity.RUNS_ON


def hidden_cuts(read: Reader, seg: Segment, rate: FrameRate, pivot: Pivot = middle) -> list[int]:
    """Cuts inside a segment the picture saw as one shot."""
    found: list[int] = []
    lo, hi = seg.first_clean, seg.last_clean
    while lo < hi and continuity(read(lo), read(hi), rate) is Continuity.BREAKS:
        cut = _first_break(read, lo, hi, rate, pivot)
        if _misread(read, cut, seg, rate):
            lo = cut + 1
            continue
        found.append(cut)
        lo = cut
    return found


@dataclass(frozen=True)
class PictureCut:
    frame: int  # first frame of the incoming cut
    before: int  # last clear frame of the outgoing shot
    after: int  # first clear frame of the incoming shot


def refine(read: Reader, segments: list[Segment], picture_cuts: list[PictureCut],
           rate: FrameRate, pivot: Pivot = middle) -> Refinement:
    """Check every picture cut and look inside every segment (``pivot``: where a bisection
    reads next; the middle unless the frames there are dearer than others)."""
    result = Refinement()
    for seg in segments:
        result.burnin_cuts += hidden_cuts(read, seg, rate, pivot)
    for cut in picture_cuts:
        bucket = {Continuity.BREAKS: result.confirmed, Continuity.RUNS_ON: result.suspicious,
                  Continuity.UNREAD: result.unchecked}
        bucket[continuity(read(cut.before), read(cut.after), rate)].append(cut.frame)
    return result
