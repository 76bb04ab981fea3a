"""Parsing what OCR read in the burn-in bands into fields."""

from __future__ import annotations

import re

from jobs.burnin.parse import ReadText, join_close, parse_fields
from jobs.ocr.cleanup import DEFAULT_SHOT_PATTERN

PATTERN = re.compile(DEFAULT_SHOT_PATTERN)


def _box(text: str, x0: int, x1: int, band: int = 0) -> ReadText:
    return ReadText(band, text, 0.99, x0, x1, 30)


def test_fields_of_a_typical_top_and_bottom_band() -> None:
    texts = [_box("SH010_0040", 20, 200), _box("1013", 430, 500), _box("14:25:00:12", 700, 940),
             _box("01:00:01:12", 700, 940, band=1)]
    f = parse_fields(7, texts, PATTERN)
    assert (f.frame, f.name, f.source_tc, f.record_tc, f.counter) == (
        7, "SH010_0040", "14:25:00:12", "01:00:01:12", 1013)


def test_a_name_split_at_its_underscore_is_joined() -> None:
    f = parse_fields(0, [_box("SH010", 20, 100), _box("0020", 112, 180), _box("1001", 430, 500)],
                     PATTERN)
    assert (f.name, f.counter) == ("SH010_0020", 1001)


def test_overlapping_boxes_keep_the_shared_characters_once() -> None:
    # 14 characters over 252 px (18 px each): the detector cut EP01_S023_C012 into two
    # boxes that both hold the "3" (the second starts inside the first)
    f = parse_fields(0, [_box("EP01_S023", 20, 182), _box("3_C012", 166, 272)], PATTERN)
    assert f.name == "EP01_S023_C012"
    # touching boxes with nothing repeated are joined as they are
    f = parse_fields(0, [_box("EP01_S02", 20, 164), _box("3_C012", 160, 272)], PATTERN)
    assert f.name == "EP01_S023_C012"


def test_far_apart_fields_are_not_joined() -> None:
    f = parse_fields(0, [_box("SH010_0020", 20, 200), _box("1001", 430, 500)], PATTERN)
    assert (f.name, f.counter) == ("SH010_0020", 1001)


def test_record_label_and_misreads() -> None:
    texts = [_box("REC 01:00:0O:12", 20, 300), _box("SRC 1O:00:00;02", 500, 800)]
    f = parse_fields(0, texts, PATTERN)
    assert (f.record_tc, f.source_tc) == ("01:00:00:12", "10:00:00;02")


def test_milliseconds_are_not_a_timecode_and_nothing_is_invented() -> None:
    f = parse_fields(0, [_box("00:00:01.250", 0, 120), _box("23", 0, 20, band=1)], PATTERN)
    assert (f.name, f.source_tc, f.record_tc, f.counter) == (None, None, None, None)
    assert not f.readable


def test_a_speck_read_inside_a_timecode_box_leaves_the_timecode_whole() -> None:
    # a small box read out of the picture under the timecode's box (a real read of the
    # demo plate): glued on, "17:00:00:1251°" was no timecode and the record one was
    # taken for the source timecode
    texts = [_box("SH020_0020", 7, 156), _box("1013", 287, 353), _box("17:00:00:12", 470, 632),
             ReadText(0, "51°", 0.675, 569, 583, 11), _box("01:00:05:04", 468, 632, band=1)]
    f = parse_fields(124, texts, PATTERN)
    assert (f.name, f.counter, f.source_tc, f.record_tc) == (
        "SH020_0020", 1013, "17:00:00:12", "01:00:05:04")
    # a timecode split over two overlapping boxes still joins: neither half is whole
    f = parse_fields(0, [_box("17:00:00:", 470, 600), _box(":12", 598, 632)], PATTERN)
    assert f.source_tc == "17:00:00:12"


def _read(band: int, text: str, x0: int, x1: int, height: int) -> ReadText:
    return ReadText(band, text, 0.99, x0, x1, height)


def test_specks_of_picture_are_dropped_and_a_lost_underscore_comes_back() -> None:
    # two real reads of the demo plate's "life" shot under a see-through band
    texts = [_read(0, "SH020", 7, 90, 33), _read(0, "0020", 85, 155, 30),
             _read(0, "1013", 287, 353, 34), _read(0, "17:00:00:12", 470, 632, 32),
             _read(0, "o吊f", 327, 339, 12), _read(1, "6", 542, 560, 15),
             _read(1, "01:00:05:04", 470, 631, 29)]
    f = parse_fields(124, texts, PATTERN)
    assert (f.name, f.counter, f.source_tc, f.record_tc) == (
        "SH020_0020", 1013, "17:00:00:12", "01:00:05:04")
    texts = [_read(0, "SH020_0020", 7, 156, 32), _read(0, "1044", 287, 354, 34),
             _read(0, "48", 86, 113, 15), _read(0, "17:00:01:19", 470, 631, 32)]
    assert parse_fields(155, texts, PATTERN).name == "SH020_0020"
    # small lettering beside the others, over no other box, stays
    texts = [_read(0, "SH020_0020", 7, 156, 32), _read(0, "v2", 300, 330, 15)]
    assert [t.text for t in join_close(texts, PATTERN)] == ["SH020_0020", "v2"]
