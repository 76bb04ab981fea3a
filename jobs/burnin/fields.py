"""What one frame's burn-ins say, and whether two frames belong to one continuous shot."""

from __future__ import annotations

from dataclasses import dataclass

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


def continuous(a: BurnInFields, b: BurnInFields, rate: FrameRate) -> bool | None:
    """Do frames a and b (a before b) lie in one shot by their burn-ins?

    True when every field read on both frames agrees (same name, timecode and counter
    advanced by exactly the frame distance), False when one disagrees, None when no
    field was read on both.
    """
    gap = b.frame - a.frame
    verdicts: list[bool] = []
    ta, tb = tc_frames(a.source_tc, rate), tc_frames(b.source_tc, rate)
    if ta is not None and tb is not None:
        verdicts.append(tb - ta == gap)
    if a.counter is not None and b.counter is not None:
        verdicts.append(b.counter - a.counter == gap)
    if a.name is not None and b.name is not None:
        running = bool(verdicts) and all(verdicts)
        verdicts.append(a.name == b.name or (running and _inserted(a.name, b.name)))
    return all(verdicts) if verdicts else None


def _inserted(x: str, y: str) -> bool:
    """One name is the other with characters added: a misread (``EP01_S023_3_C012``),
    not another shot, when timecode and counter run on across the two frames."""
    short, long_ = sorted((x, y), key=len)
    if len(short) == len(long_):
        return False
    rest = iter(long_)
    return all(ch in rest for ch in short)
