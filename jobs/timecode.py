"""Exact frame rates and SMPTE timecode: the one place frames become timecode.

Frame rates are rationals (``24000/1001``), never floats. Frame numbers given to
this module are counts from the timecode's origin (00:00:00:00), not plate
indices; callers add the plate's start-timecode frame to a 0-based index.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

_RATE_RE = re.compile(r"^\s*(\d+)\s*(?:[/:]\s*(\d+))?\s*$")
_TC_RE = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})$")
_DROP_RATES = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}
_DAY_SECONDS = 24 * 3600


class TimecodeError(ValueError):
    """A timecode or frame rate that cannot be read or does not exist."""


@functools.total_ordering
@dataclass(frozen=True)
class FrameRate:
    """A frame rate as an exact fraction of frames per second."""

    num: int
    den: int = 1

    def __post_init__(self) -> None:
        if self.num <= 0 or self.den <= 0:
            raise TimecodeError(f"frame rate must be positive, got {self.num}/{self.den}")
        g = _gcd(self.num, self.den)
        if g != 1:
            object.__setattr__(self, "num", self.num // g)
            object.__setattr__(self, "den", self.den // g)

    def __lt__(self, other: object) -> bool:
        # By exact value: a dataclass field-wise order would sort 25 above 24000/1001.
        if not isinstance(other, FrameRate):
            return NotImplemented
        return self.fraction < other.fraction

    @classmethod
    def parse(cls, text: str) -> FrameRate:
        """Read ``24000/1001``, ``25``, ``25/1`` or a common decimal alias like ``23.976``."""
        aliases = {"23.976": (24000, 1001), "23.98": (24000, 1001), "29.97": (30000, 1001),
                   "59.94": (60000, 1001), "47.952": (48000, 1001), "119.88": (120000, 1001)}
        if text.strip() in aliases:
            return cls(*aliases[text.strip()])
        m = _RATE_RE.match(text)
        if not m:
            raise TimecodeError(f"not a frame rate: {text!r} (use e.g. 24000/1001 or 25)")
        return cls(int(m.group(1)), int(m.group(2) or 1))

    @classmethod
    def from_fraction(cls, value: Fraction) -> FrameRate:
        return cls(value.numerator, value.denominator)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def nominal(self) -> int:
        """Timecode base: frames counted per timecode second (24 for 23.976)."""
        return round(self.fraction)

    @property
    def drop_frame_capable(self) -> bool:
        return self.fraction in _DROP_RATES

    @property
    def frame_duration(self) -> Fraction:
        return Fraction(self.den, self.num)

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _dropped_per_minute(rate: FrameRate, drop_frame: bool) -> int:
    if not drop_frame:
        return 0
    if not rate.drop_frame_capable:
        raise TimecodeError(f"drop-frame timecode exists only at 29.97 and 59.94, not {rate}")
    return _DROP_RATES[rate.fraction]


def frames_to_timecode(frames: int, rate: FrameRate, drop_frame: bool = False) -> str:
    """Timecode of the frame ``frames`` counted from 00:00:00:00 (wraps at 24 h)."""
    fps = rate.nominal
    drop = _dropped_per_minute(rate, drop_frame)
    per_day = fps * _DAY_SECONDS - drop * (24 * 60 - 24 * 6)
    frames %= per_day
    if drop:
        per_10min = fps * 600 - drop * 9
        per_min = fps * 60 - drop
        tens, rem = divmod(frames, per_10min)
        frames += drop * 9 * tens
        if rem >= drop:
            frames += drop * ((rem - drop) // per_min)
    ff = frames % fps
    ss = frames // fps % 60
    mm = frames // (fps * 60) % 60
    hh = frames // (fps * 3600) % 24
    sep = ";" if drop else ":"
    width = 3 if fps >= 100 else 2
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:0{width}d}"


def timecode_to_frames(timecode: str, rate: FrameRate) -> int:
    """Frames from 00:00:00:00 to ``timecode``; ``;`` (or ``.``/``,``) marks drop-frame."""
    m = _TC_RE.match(timecode.strip())
    if not m:
        raise TimecodeError(f"not a timecode: {timecode!r} (expected HH:MM:SS:FF)")
    hh, mm, ss, ff = (int(m.group(i)) for i in (1, 2, 3, 5))
    drop_frame = m.group(4) in ";.,"
    fps = rate.nominal
    if mm > 59 or ss > 59 or ff >= fps or hh > 23:
        raise TimecodeError(f"timecode {timecode!r} is out of range at {rate} fps")
    drop = _dropped_per_minute(rate, drop_frame)
    if drop and ss == 0 and ff < drop and mm % 10 != 0:
        raise TimecodeError(f"timecode {timecode!r} does not exist in drop-frame counting")
    total_minutes = hh * 60 + mm
    frames = (hh * 3600 + mm * 60 + ss) * fps + ff
    return frames - drop * (total_minutes - total_minutes // 10)


def is_drop_frame(timecode: str) -> bool:
    m = _TC_RE.match(timecode.strip())
    return bool(m and m.group(4) in ";.,")


def offset_timecode(start: str, frames: int, rate: FrameRate) -> str:
    """``start`` advanced by ``frames``, keeping its drop-frame counting."""
    total = timecode_to_frames(start, rate) + frames
    return frames_to_timecode(total, rate, is_drop_frame(start))


def seconds_to_frames(seconds: Fraction, rate: FrameRate) -> int:
    """Nearest whole frame to an exact time."""
    return round(seconds * rate.fraction)
