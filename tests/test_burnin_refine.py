"""The burn-in cut logic on burn-ins given frame by frame (the reading is tested elsewhere)."""

from __future__ import annotations

from jobs.burnin.fields import BurnInFields, Continuity, continuity
from jobs.burnin.refine import PictureCut, Segment, hidden_cuts, refine
from jobs.timecode import FrameRate, frames_to_timecode

RATE = FrameRate(24)


class Plate:
    """Burn-ins of a plate made of (name, first source timecode frame, length) shots."""

    def __init__(self, shots: list[tuple[str, int, int]], misread: set[int] | None = None):
        self.fields: list[BurnInFields] = []
        for name, tc0, length in shots:
            for i in range(length):
                k = len(self.fields)
                tc = frames_to_timecode(tc0 + i, RATE)
                if misread and k in misread:
                    tc = "99:99:99:99"
                self.fields.append(BurnInFields(k, name, tc, None, 1001 + i))
        self.reads: list[int] = []

    def read(self, frame: int) -> BurnInFields:
        self.reads.append(frame)
        return self.fields[frame]


def test_continuity_needs_every_field_to_agree() -> None:
    a = BurnInFields(10, "SH010", "01:00:00:00", None, 1001)
    assert continuity(a, BurnInFields(20, "SH010", "01:00:00:10", None, 1011), RATE) is Continuity.RUNS_ON
    assert continuity(a, BurnInFields(20, "SH020", "01:00:00:10", None, 1011), RATE) is Continuity.BREAKS
    assert continuity(a, BurnInFields(20, "SH010", "01:00:00:11", None, 1011), RATE) is Continuity.BREAKS
    assert continuity(a, BurnInFields(20, "SH010", "01:00:00:10", None, 1001), RATE) is Continuity.BREAKS
    assert continuity(a, BurnInFields(20), RATE) is Continuity.UNREAD


def test_a_timecode_jump_is_found_on_its_exact_frame_by_bisection() -> None:
    plate = Plate([("SH010", 1000, 70), ("SH010", 5000, 58)])  # same name, timecode jumps
    assert hidden_cuts(plate.read, Segment(0, 127, 0, 127), RATE) == [70]
    assert len(set(plate.reads)) <= 12  # log2(128) reads, not 128


def test_several_hidden_cuts_and_a_name_change() -> None:
    plate = Plate([("A", 0, 30), ("B", 30, 30), ("B", 900, 40)])
    assert hidden_cuts(plate.read, Segment(0, 99, 0, 99), RATE) == [30, 60]


def test_a_single_misread_frame_is_not_a_cut() -> None:
    plate = Plate([("SH010", 0, 64)], misread={37})
    assert hidden_cuts(plate.read, Segment(0, 63, 0, 63), RATE) == []


def test_picture_cuts_are_confirmed_or_suspicious() -> None:
    plate = Plate([("A", 0, 20), ("B", 400, 40)])
    segments = [Segment(0, 19, 0, 19), Segment(20, 29, 20, 29), Segment(30, 59, 30, 59)]
    cuts = [PictureCut(20, 19, 20), PictureCut(30, 29, 30)]
    result = refine(plate.read, segments, cuts, RATE)
    assert result.confirmed == [20]
    assert result.suspicious == [30]  # the picture changed but B's timecode runs on
    assert result.burnin_cuts == []


def test_nothing_read_means_nothing_invented() -> None:
    blank = [BurnInFields(k) for k in range(50)]
    result = refine(blank.__getitem__, [Segment(0, 49, 0, 49)], [PictureCut(25, 24, 25)], RATE)
    assert result.burnin_cuts == [] and result.unchecked == [25]


def test_a_name_with_characters_added_while_timecode_runs_is_a_misread() -> None:
    a = BurnInFields(10, "EP01_S023_C012", "01:00:00:00", None, 1001)
    misread = BurnInFields(20, "EP01_S023_3_C012", "01:00:00:10", None, 1011)
    assert continuity(a, misread, RATE) is Continuity.RUNS_ON
    other_shot = BurnInFields(20, "EP01_S023_C013", "01:00:00:10", None, 1011)
    assert continuity(a, other_shot, RATE) is Continuity.BREAKS  # same length: another name
    jumped = BurnInFields(20, "EP01_S023_3_C012", "05:00:00:00", None, 1011)
    assert continuity(a, jumped, RATE) is Continuity.BREAKS


def test_the_name_read_most_often_wins() -> None:
    from jobs.burnin.labels import label_cut

    reads = {0: BurnInFields(0, "EP01_S023_3_C012", "01:00:00:00"),
             15: BurnInFields(15, "EP01_S023_C012", "01:00:00:15"),
             29: BurnInFields(29, "EP01_S023_C012", "01:00:01:05")}
    label = label_cut(Segment(0, 29, 0, 29), reads, RATE)
    assert (label.name, label.source_tc_in) == ("EP01_S023_C012", "01:00:00:00")


def test_a_break_on_the_last_frame_of_a_segment_is_not_a_cut() -> None:
    plate = Plate([("SH010", 0, 40)], misread={39})
    assert hidden_cuts(plate.read, Segment(0, 39, 0, 39), RATE) == []


def test_a_misread_first_clear_frame_is_not_a_cut() -> None:
    # the segment's first clear frame (right after a dissolve) misread: every later frame
    # breaks from it, and bisection lands on the next frame; nothing confirms the
    # outgoing "shot" of one frame, so no cut
    plate = Plate([("SH020", 0, 60)], misread={24})
    assert hidden_cuts(plate.read, Segment(12, 59, 24, 59), RATE) == []
    # a real cut two frames in is still found: the outgoing shot is read running on
    plate = Plate([("SH010", 0, 26), ("SH020", 700, 34)])
    assert hidden_cuts(plate.read, Segment(12, 59, 24, 59), RATE) == [26]


def test_a_cut_one_frame_after_a_picture_cut_pins_it_to_the_burnins() -> None:
    # the picture saw the cut a frame early (at 30): the frame before the segment, 29,
    # and its first frame, 30, are one shot, so the burn-in cut at 31 stands
    plate = Plate([("A", 0, 31), ("B", 500, 29)])
    assert hidden_cuts(plate.read, Segment(30, 59, 30, 59), RATE) == [31]


def test_a_bisection_on_kept_frames_finds_the_same_cut() -> None:
    # the frame store kept every 16th frame only: the bisection reads those until its last step
    def ladder(lo: int, hi: int) -> int:
        middle = (lo + hi) // 2
        below = middle - middle % 16
        for candidate in sorted((below, below + 16), key=lambda f: abs(f - middle)):
            if lo < candidate < hi:
                return candidate
        return middle

    plate = Plate([("SH010", 1000, 700), ("SH010", 5000, 300)])
    assert hidden_cuts(plate.read, Segment(0, 999, 0, 999), RATE, ladder) == [700]
    off_ladder = {f for f in plate.reads if f % 16 and f != 999}
    assert off_ladder and all(688 <= f < 704 for f in off_ladder), sorted(off_ladder)  # one step
