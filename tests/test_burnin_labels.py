"""Cut names and source timecodes from the reads of a cut (reading is tested elsewhere)."""

from __future__ import annotations

from jobs.burnin.fields import BurnInFields
from jobs.burnin.labels import CutLabel, ends_disagree, label_cut
from jobs.burnin.refine import Segment
from jobs.timecode import FrameRate

RATE = FrameRate(24)
SEG = Segment(100, 155, 112, 155)  # a dissolve over 100-111


def test_the_source_timecode_most_reads_agree_on_wins() -> None:
    # the first clear frame lost its source timecode: the record one was taken for it
    reads = {112: BurnInFields(112, "SH020", "01:00:05:04", None, 1013),
             130: BurnInFields(130, "SH020", "17:00:01:06", "01:00:05:22", 1031),
             155: BurnInFields(155, "SH020", "17:00:02:07", "01:00:06:11", 1056)}
    assert label_cut(SEG, reads, RATE) == CutLabel("SH020", "17:00:00:00")


def test_ties_go_to_the_first_clear_frame() -> None:
    reads = {112: BurnInFields(112, "SH020", "17:00:00:12"),
             155: BurnInFields(155, "SH02O", "17:00:02:00")}
    assert label_cut(SEG, reads, RATE) == CutLabel("SH020", "17:00:00:00")


def test_ends_that_disagree_ask_for_a_third_reading() -> None:
    first = BurnInFields(112, "SH020", "17:00:00:12")
    assert not ends_disagree(first, BurnInFields(155, "SH020", "17:00:02:07"), SEG, RATE)
    assert ends_disagree(first, BurnInFields(155, "SH020", "01:00:06:11"), SEG, RATE)
    assert ends_disagree(first, BurnInFields(155, "SH021", "17:00:02:07"), SEG, RATE)
    assert not ends_disagree(first, BurnInFields(155, None, None, None, 1056), SEG, RATE)
