"""Exact frame rates and SMPTE timecode, drop-frame included, checked against OTIO."""

from __future__ import annotations

import itertools
from fractions import Fraction

import opentimelineio as otio
import pytest

from jobs.timecode import (
    FrameRate,
    TimecodeError,
    frames_to_timecode,
    is_drop_frame,
    offset_timecode,
    seconds_to_frames,
    timecode_to_frames,
)

NTSC = FrameRate(30000, 1001)
NTSC_60 = FrameRate(60000, 1001)
FILM = FrameRate(24000, 1001)
PAL = FrameRate(25)


# --- known values -----------------------------------------------------------------------


@pytest.mark.parametrize(("frames", "timecode"), [
    (0, "00:00:00;00"),
    (29, "00:00:00;29"),
    (1799, "00:00:59;29"),
    (1800, "00:01:00;02"),
    (1801, "00:01:00;03"),
    (3597, "00:01:59;29"),
    (3598, "00:02:00;02"),
    (17981, "00:09:59;29"),
    (17982, "00:10:00;00"),
    (17983, "00:10:00;01"),
    (19782, "00:11:00;02"),
    (107892, "01:00:00;00"),
    (107862, "00:59:59;00"),
    (109692, "01:01:00;02"),
    (2589407, "23:59:59;29"),
])
def test_drop_frame_2997_pairs(frames: int, timecode: str) -> None:
    assert frames_to_timecode(frames, NTSC, drop_frame=True) == timecode
    assert timecode_to_frames(timecode, NTSC) == frames


@pytest.mark.parametrize(("frames", "timecode"), [
    (3599, "00:00:59;59"),
    (3600, "00:01:00;04"),
    (35964, "00:10:00;00"),
    (215784, "01:00:00;00"),
])
def test_drop_frame_5994_pairs(frames: int, timecode: str) -> None:
    assert frames_to_timecode(frames, NTSC_60, drop_frame=True) == timecode
    assert timecode_to_frames(timecode, NTSC_60) == frames


@pytest.mark.parametrize(("frames", "timecode"), [
    (0, "00:00:00:00"), (23, "00:00:00:23"), (24, "00:00:01:00"), (1440, "00:01:00:00"),
    (86400, "01:00:00:00"), (86399, "00:59:59:23"),
])
def test_2398_counts_24_frames_a_second(frames: int, timecode: str) -> None:
    assert frames_to_timecode(frames, FILM) == timecode
    assert timecode_to_frames(timecode, FILM) == frames


@pytest.mark.parametrize(("frames", "timecode"), [
    (0, "00:00:00:00"), (24, "00:00:00:24"), (25, "00:00:01:00"), (90000, "01:00:00:00"),
    (2159999, "23:59:59:24"),
])
def test_25(frames: int, timecode: str) -> None:
    assert frames_to_timecode(frames, PAL) == timecode
    assert timecode_to_frames(timecode, PAL) == frames


def test_2997_non_drop_counts_30_frames_a_second() -> None:
    assert frames_to_timecode(1800, NTSC) == "00:01:00:00"
    assert frames_to_timecode(108000, NTSC) == "01:00:00:00"
    assert timecode_to_frames("01:00:00:00", NTSC) == 108000


def test_three_digit_frames_above_100_fps() -> None:
    assert frames_to_timecode(119, FrameRate(120)) == "00:00:00:119"
    assert timecode_to_frames("00:00:01:005", FrameRate(120)) == 125


# --- exhaustive round trips ---------------------------------------------------------------


@pytest.mark.parametrize(("rate", "per_10_minutes"), [(NTSC, 17982), (NTSC_60, 35964)])
def test_drop_frame_round_trip_first_two_hours(rate: FrameRate, per_10_minutes: int) -> None:
    # Every 7th frame, and every frame from 5 before to 5 after each minute's first frame.
    dropped = 2 if rate == NTSC else 4
    minute_starts = [m * 60 * rate.nominal - dropped * (m - m // 10) for m in range(121)]
    end = 12 * per_10_minutes  # 02:00:00;00
    frames = sorted({*range(0, end + 1, 7),
                     *(s + d for s in minute_starts for d in range(-5, 6) if 0 <= s + d <= end)})
    labels = [frames_to_timecode(n, rate, drop_frame=True) for n in frames]
    assert [timecode_to_frames(tc, rate) for tc in labels] == frames
    assert minute_starts[-1] == end
    # Fixed width, so string order is time order: strictly increasing means no label repeats.
    assert all(a < b for a, b in itertools.pairwise(labels))
    assert labels[-1] == "02:00:00;00"
    # The labels a minute skips (;00 ;01, or ;00 to ;03 at 59.94) appear only every tenth minute.
    first_labels = [tc for tc in labels if tc[6:8] == "00" and int(tc[9:]) < dropped]
    assert {int(tc[3:5]) % 10 for tc in first_labels} == {0}
    assert len(first_labels) == 12 * dropped + 1  # 12 tenth minutes, and 02:00:00;00


@pytest.mark.parametrize("rate", [FILM, PAL, NTSC, FrameRate(24), FrameRate(50)])
def test_non_drop_round_trip_sampled(rate: FrameRate) -> None:
    for frames in range(0, 2 * 3600 * rate.nominal + 1, 7):
        assert timecode_to_frames(frames_to_timecode(frames, rate), rate) == frames


def test_wraps_at_24_hours() -> None:
    per_day = 24 * 6 * 17982
    assert frames_to_timecode(per_day, NTSC, drop_frame=True) == "00:00:00;00"
    assert frames_to_timecode(-1, NTSC, drop_frame=True) == "23:59:59;29"
    assert frames_to_timecode(24 * 3600 * 24, FILM) == "00:00:00:00"


# --- agreement with OpenTimelineIO ----------------------------------------------------


def _sample_frames(rate: FrameRate) -> list[int]:
    """Every 13th frame for 3 hours, and a few frames around each minute."""
    minute = rate.nominal * 60
    around = [m * minute - rate.nominal // 5 * k + d
              for m in range(1, 180) for k in (0, 1) for d in (-2, -1, 0, 1, 2)]
    return sorted({*range(0, 3 * 3600 * rate.nominal, 13), *(f for f in around if f >= 0)})


@pytest.mark.parametrize(("rate", "drop"), [(NTSC, True), (FILM, False), (NTSC_60, True)])
def test_agrees_with_otio(rate: FrameRate, drop: bool) -> None:
    fps = float(rate.fraction)
    for frames in _sample_frames(rate):
        ours = frames_to_timecode(frames, rate, drop_frame=drop)
        theirs = otio.opentime.to_timecode(otio.opentime.RationalTime(frames, fps), fps, drop)
        assert ours == theirs, frames
        assert otio.opentime.from_timecode(ours, fps).value == frames


# --- rejection ------------------------------------------------------------------------


@pytest.mark.parametrize("timecode", ["00:01:00;00", "00:01:00;01", "01:01:00;00",
                                      "00:59:00;01"])
def test_rejects_non_existent_drop_frame_timecode(timecode: str) -> None:
    with pytest.raises(TimecodeError, match="does not exist"):
        timecode_to_frames(timecode, NTSC)


def test_drop_frame_5994_drops_four() -> None:
    for ff in range(4):
        with pytest.raises(TimecodeError, match="does not exist"):
            timecode_to_frames(f"00:01:00;{ff:02d}", NTSC_60)
    assert timecode_to_frames("00:01:00;04", NTSC_60) == 3600
    assert timecode_to_frames("00:10:00;00", NTSC_60) == 35964


def test_tenth_minutes_keep_their_first_frames() -> None:
    assert timecode_to_frames("00:10:00;00", NTSC) == 17982
    assert timecode_to_frames("00:00:00;01", NTSC) == 1
    assert timecode_to_frames("01:00:00;01", NTSC) == 107893


@pytest.mark.parametrize(("timecode", "rate"), [
    ("24:00:00:00", PAL), ("00:60:00:00", PAL), ("00:00:60:00", PAL), ("00:00:00:25", PAL),
    ("00:00:00:24", FILM), ("00:00:00;30", NTSC), ("00:00:00;60", NTSC_60),
])
def test_rejects_out_of_range(timecode: str, rate: FrameRate) -> None:
    with pytest.raises(TimecodeError, match="out of range"):
        timecode_to_frames(timecode, rate)


@pytest.mark.parametrize("text", ["", "garbage", "1:2:3:4", "01:00:00", "01:00:00:00:00",
                                  "-01:00:00:00", "01:00:00:0"])
def test_rejects_malformed(text: str) -> None:
    with pytest.raises(TimecodeError, match="not a timecode"):
        timecode_to_frames(text, PAL)


@pytest.mark.parametrize("rate", [PAL, FILM, FrameRate(24), FrameRate(30)])
def test_drop_frame_only_at_2997_and_5994(rate: FrameRate) -> None:
    with pytest.raises(TimecodeError, match="drop-frame"):
        timecode_to_frames("00:00:01;00", rate)
    with pytest.raises(TimecodeError, match="drop-frame"):
        frames_to_timecode(10, rate, drop_frame=True)


def test_timecode_error_is_value_error() -> None:
    assert issubclass(TimecodeError, ValueError)


# --- FrameRate --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("24000/1001", (24000, 1001)), ("25", (25, 1)), ("25/1", (25, 1)),
    ("29.97", (30000, 1001)), ("59.94", (60000, 1001)), ("23.976", (24000, 1001)),
    ("30000:1001", (30000, 1001)), (" 48000/2002 ", (24000, 1001)),
])
def test_frame_rate_parse(text: str, expected: tuple[int, int]) -> None:
    rate = FrameRate.parse(text)
    assert (rate.num, rate.den) == expected


@pytest.mark.parametrize("text", ["", "abc", "24/0", "0", "-25", "23.5", "24.0", "25fps",
                                  "1/2/3"])
def test_frame_rate_parse_rejects(text: str) -> None:
    with pytest.raises(TimecodeError):
        FrameRate.parse(text)


def test_frame_rate_reduces() -> None:
    assert FrameRate(48000, 2002) == FrameRate(24000, 1001)
    assert (FrameRate(48000, 2002).num, FrameRate(48000, 2002).den) == (24000, 1001)
    assert FrameRate(50, 2) == PAL
    assert hash(FrameRate(60000, 2002)) == hash(NTSC)
    assert str(FrameRate(48000, 2002)) == "24000/1001"


@pytest.mark.parametrize(("num", "den"), [(0, 1), (-24, 1), (24, 0), (24, -1)])
def test_frame_rate_must_be_positive(num: int, den: int) -> None:
    with pytest.raises(TimecodeError):
        FrameRate(num, den)


def test_frame_rate_properties() -> None:
    assert FILM.fraction == Fraction(24000, 1001)
    assert FILM.frame_duration == Fraction(1001, 24000)
    assert [r.nominal for r in (FILM, PAL, NTSC, NTSC_60)] == [24, 25, 30, 60]
    assert NTSC.drop_frame_capable and NTSC_60.drop_frame_capable
    assert not FILM.drop_frame_capable and not FrameRate(30).drop_frame_capable
    assert FrameRate.from_fraction(Fraction(30000, 1001)) == NTSC


def test_frame_rates_order_by_value() -> None:
    rates = [FrameRate(25), FrameRate(24000, 1001), FrameRate(24), NTSC, FrameRate(30)]
    assert sorted(rates) == [FILM, FrameRate(24), PAL, NTSC, FrameRate(30)]
    assert FILM < FrameRate(24) < PAL
    assert max(rates) == FrameRate(30)


# --- helpers ----------------------------------------------------------------------------


def test_offset_timecode_keeps_drop_frame() -> None:
    assert offset_timecode("00:00:59;29", 1, NTSC) == "00:01:00;02"
    assert offset_timecode("00:01:00;02", -1, NTSC) == "00:00:59;29"
    assert offset_timecode("00:59:59;00", 1830, NTSC) == "01:01:00;02"
    assert offset_timecode("00:00:59:29", 1, NTSC) == "00:01:00:00"
    assert offset_timecode("01:00:00:00", 86400, FILM) == "02:00:00:00"
    assert offset_timecode("23:59:59:24", 1, PAL) == "00:00:00:00"


def test_is_drop_frame() -> None:
    assert is_drop_frame("01:00:00;00")
    assert is_drop_frame("01:00:00.00")
    assert not is_drop_frame("01:00:00:00")
    assert not is_drop_frame("not a timecode")


def test_seconds_to_frames_is_exact() -> None:
    assert seconds_to_frames(Fraction(1001, 24000), FILM) == 1
    assert seconds_to_frames(Fraction(3600 * 1001, 1000), FILM) == 86400
    assert seconds_to_frames(Fraction(1, 2), PAL) == 12  # round half to even
