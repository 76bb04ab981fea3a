"""Cut names and source timecodes taken from the burn-ins."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.burnin.fields import BurnInFields
from jobs.burnin.refine import Segment
from jobs.timecode import FrameRate, TimecodeError, offset_timecode


@dataclass(frozen=True)
class CutLabel:
    name: str | None = None
    source_tc_in: str | None = None  # timecode of the cut's first frame


def _tc_at_first(fields: BurnInFields, seg: Segment, rate: FrameRate) -> str | None:
    if fields.source_tc is None:
        return None
    try:
        return offset_timecode(fields.source_tc, seg.first - fields.frame, rate)
    except TimecodeError:
        return None


def label_cut(seg: Segment, reads: dict[int, BurnInFields], rate: FrameRate) -> CutLabel:
    """Name and timecode of one cut from its clear first and last frames."""
    first, last = reads.get(seg.first_clean), reads.get(seg.last_clean)
    found = [f for f in (first, last) if f is not None]
    inside = [f.name for k, f in reads.items() if seg.first <= k <= seg.last and f.name]
    # the name read most often in the cut; ties go to the first clear frame's reading
    name = max(inside, key=lambda n: (inside.count(n), n == (first.name if first else None)),
               default=None)
    tc = next((tc for f in found if (tc := _tc_at_first(f, seg, rate))), None)
    return CutLabel(name, tc)
