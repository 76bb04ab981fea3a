"""What one frame's burn-ins say, and whether two frames belong to one continuous shot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from jobs.timecode import FrameRate, TimecodeError, timecode_to_frames


@dataclass(frozen=True)
class BurnInFields:
    """Parsed burn-ins of one frame; None where a field was not read."""

    frame: int
    name: str | None = None
    source_tc: str | None = None
    record_tc: str | None = None
    counter: int | None = None
    raw: tuple[tuple[str, float], ...] = ()  # every text read, with its confidence

    @property
    def readable(self) -> bool:
        return any(v is not None for v in (self.name, self.source_tc, self.counter))


def tc_frames(tc: str | None, rate: FrameRate) -> int | None:
    """Frames from 00:00:00:00 to ``tc``, or None when there is none or it cannot exist."""
    if tc is None:
        return None
    try:
        return timecode_to_frames(tc, rate)
    except TimecodeError:
        return None


class Continuity(Enum):
    """What two frames' burn-ins say about the frames between them."""

    RUNS_ON = "runs on"  # every field read on both agrees: one continuous shot
    BREAKS = "breaks"  # a field read on both disagrees: not one continuous shot
    UNREAD = "unread"  # no field was read on both frames: the burn-ins cannot tell


def continuity(before: BurnInFields, after: BurnInFields, rate: FrameRate) -> Continuity:
    """Do frames ``before`` and ``after`` lie in one shot by their burn-ins?

    Same name, timecode and counter advanced by exactly the frame distance: each field
    read on both frames must agree for the shot to run on.
    """
    gap = after.frame - before.frame
    verdicts: list[bool] = []
    tc_before, tc_after = tc_frames(before.source_tc, rate), tc_frames(after.source_tc, rate)
    if tc_before is not None and tc_after is not None:
        verdicts.append(tc_after - tc_before == gap)
    if before.counter is not None and after.counter is not None:
        verdicts.append(after.counter - before.counter == gap)
    if before.name is not None and after.name is not None:
        running = bool(verdicts) and all(verdicts)
        verdicts.append(before.name == after.name
                        or (running and _inserted(before.name, after.name)))
    if not verdicts:
        return Continuity.UNREAD
    return Continuity.RUNS_ON if all(verdicts) else Continuity.BREAKS


def _inserted(x: str, y: str) -> bool:
    """One name is the other with characters added: a misread (``EP01_S023_3_C012``),
    not another shot, when timecode and counter run on across the two frames."""
    short, long_ = sorted((x, y), key=len)
    if len(short) == len(long_):
        return False
    rest = iter(long_)
    return all(ch in rest for ch in short)
