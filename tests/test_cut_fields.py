"""Cut fields and the numbering of the two kinds of plate: the arithmetic alone."""

from __future__ import annotations

import pytest

from jobs.cut_fields import CutFields, Handles, Numbering, cut_fields


def test_a_reference_plate_holds_the_cut_alone_and_numbers_it_from_cut_in() -> None:
    # a 48-frame segment is the whole cut; 8 + 8 handles are virtual
    fields = cut_fields(Numbering("reference", 1001, Handles(8, 8)), 3, 48)
    assert fields == CutFields(cut_order=3, head_in=1001, cut_in=1009, cut_out=1056,
                               tail_out=1064, head_handles=8, tail_handles=8, cut_duration=48,
                               working_duration=64, media_in=1009, media_out=1056)
    assert fields.problems() == []


def test_a_scan_holds_its_handles_and_numbers_them_from_head_in() -> None:
    # the same cut pulled with its handles: a 64-frame segment, the same cut fields
    fields = cut_fields(Numbering("scan", 1001, Handles(8, 8)), 3, 64)
    assert fields == CutFields(cut_order=3, head_in=1001, cut_in=1009, cut_out=1056,
                               tail_out=1064, head_handles=8, tail_handles=8, cut_duration=48,
                               working_duration=64, media_in=1001, media_out=1064)
    assert fields.problems() == []


def test_uneven_handles_and_another_head_in() -> None:
    ref = cut_fields(Numbering("reference", 101, Handles(12, 4)), 1, 10)
    assert (ref.head_in, ref.cut_in, ref.cut_out, ref.tail_out) == (101, 113, 122, 126)
    assert (ref.media_in, ref.media_out, ref.working_duration) == (113, 122, 26)
    scan = cut_fields(Numbering("scan", 101, Handles(12, 4)), 1, 26)
    assert (scan.head_in, scan.cut_in, scan.cut_out, scan.tail_out) == (101, 113, 122, 126)
    assert (scan.media_in, scan.media_out, scan.cut_duration) == (101, 126, 10)


def test_without_handles_both_kinds_number_alike() -> None:
    ref, scan = (cut_fields(Numbering(kind, 1001, Handles(0, 0)), 1, 24)
                 for kind in ("reference", "scan"))
    assert ref == scan
    assert (ref.cut_in, ref.cut_out, ref.media_in, ref.media_out) == (1001, 1024, 1001, 1024)


@pytest.mark.parametrize("frames", [1, 15, 16])
def test_a_scan_segment_too_short_for_its_handles_is_all_cut(frames: int) -> None:
    # a slate or black between two pulls: no handles to speak of
    fields = cut_fields(Numbering("scan", 1001, Handles(8, 8)), 2, frames)
    assert (fields.head_handles, fields.tail_handles, fields.cut_duration) == (0, 0, frames)
    assert (fields.cut_in, fields.cut_out) == (1001, 1000 + frames)
    assert (fields.media_in, fields.media_out) == (1001, 1000 + frames)


def test_one_frame_of_cut_is_enough_for_a_scan_to_keep_its_handles() -> None:
    fields = cut_fields(Numbering("scan", 1001, Handles(8, 8)), 1, 17)
    assert (fields.head_handles, fields.cut_in, fields.cut_out, fields.tail_out) == (8, 1009, 1009, 1017)


def test_fields_that_do_not_add_up_are_named() -> None:
    good = cut_fields(Numbering(), 1, 10)
    bad = CutFields(**{**good.as_dict(), "cut_in": 1010, "working_duration": 25})
    assert bad.problems() == ["cut_in != head_in + head_handles",
                              "cut_out != cut_in + cut_duration - 1",
                              "working_duration != head_handles + cut_duration + tail_handles",
                              "the media must be numbered cut_in..cut_out (a reference plate) "
                              "or head_in..tail_out (a scan)"]


@pytest.mark.parametrize(("build", "words"), [
    (lambda: Handles(-1, 8), "negative"),
    (lambda: Numbering("film", 1001, Handles()), "unknown plate kind"),  # type: ignore[arg-type]
    (lambda: Numbering("scan", -1, Handles()), "head-in"),
    (lambda: cut_fields(Numbering(), 1, 0), "at least one frame"),
])
def test_impossible_numberings_are_refused(build: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        build()  # type: ignore[operator]
