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


def ends_disagree(first: BurnInFields, last: BurnInFields, seg: Segment, rate: FrameRate) -> bool:
    """The clear ends of one cut name it differently or put its first frame at different
    timecodes: one of them is misread, and a third reading settles it."""
    names = first.name and last.name and first.name != last.name
    tcs = _tc_at_first(first, seg, rate), _tc_at_first(last, seg, rate)
    return bool(names) or (None not in tcs and tcs[0] != tcs[1])


def _most_read(values: list[str], preferred: str | None) -> str | None:
    """The value read most often; ties go to the preferred one (the first clear frame's)."""
    return max(values, key=lambda v: (values.count(v), v == preferred), default=None)


def label_cut(seg: Segment, reads: dict[int, BurnInFields], rate: FrameRate) -> CutLabel:
    """Name and source timecode of one cut: what most of its reads say, ties going to its
    first clear frame (then its last)."""
    inside = [f for k, f in reads.items() if seg.first <= k <= seg.last]
    names = [f.name for f in inside if f.name]
    tcs = [tc for f in inside if (tc := _tc_at_first(f, seg, rate))]
    ends = [f for f in (reads.get(seg.first_clean), reads.get(seg.last_clean)) if f is not None]
    first_name = next((f.name for f in ends if f.name), None)
    first_tc = next((tc for f in ends if (tc := _tc_at_first(f, seg, rate))), None)
    return CutLabel(_most_read(names, first_name), _most_read(tcs, first_tc))
