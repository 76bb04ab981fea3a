"""Clean-up of OCR'd burn-in text: the misreads OCR makes, mended by the fields' shapes."""

from __future__ import annotations

import re

import pytest

from jobs.ocr.cleanup import DEFAULT_SHOT_PATTERN, clean_counter, clean_shot_name, clean_timecode


@pytest.mark.parametrize(("text", "expected"), [
    ("01:00:02:13", "01:00:02:13"),
    ("00:59:59;28", "00:59:59;28"),  # drop-frame kept
    ("01:00: 02:13", "01:00:02:13"),  # stray space after a separator
    ("01 :00:02 : 13", "01:00:02:13"),
    ("0 1:00:02:13", "01:00:02:13"),  # stray space inside a field
    ("01 00 02 13", "01:00:02:13"),  # separators read as spaces
    ("01.00.02.13", "01:00:02:13"),  # dots for colons
    ("00:59:59,28", "00:59:59;28"),  # a comma is a semicolon's tail: drop-frame
    ("00.59.59,28", "00:59:59;28"),
    ("0l:O0:02:I3", "01:00:02:13"),  # look-alike letters in numeric fields
    ("1O:S9:B8:|2", None),  # 88 seconds: no such timecode
    ("1O:S9:28:|2", "10:59:28:12"),
    ("01：00：02；13", "01:00:02;13"),  # full-width punctuation from a Chinese-trained model
    ("  23:59:59:23 ", "23:59:59:23"),
])
def test_clean_timecode(text: str, expected: str | None) -> None:
    assert clean_timecode(text) == expected


@pytest.mark.parametrize("text", [
    "", "1001", "SH010_0040", "01:00:02", "01:00:02:13:04", "1:00:02:13", "24:00:00:00",
    "01:60:00:00", "01:00:60:00", "01:00:00:60", "01:00:02:1X", "TC 01:00:02:13",
])
def test_clean_timecode_refuses_what_is_not_a_timecode(text: str) -> None:
    assert clean_timecode(text) is None


@pytest.mark.parametrize(("text", "drop_frame", "expected"), [
    ("00:59:59:28", True, "00:59:59;28"),  # the plate is 29.97 DF: a semicolon read as a colon
    ("00:59:59;28", False, "00:59:59:28"),
    ("00:59:59;28", None, "00:59:59;28"),
])
def test_clean_timecode_drop_frame_from_the_plate(text: str, drop_frame: bool | None, expected: str) -> None:
    assert clean_timecode(text, drop_frame=drop_frame) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("SH010_0040", "SH010_0040"),
    ("EP01_S023_C012", "EP01_S023_C012"),
    ("ABC_0100", "ABC_0100"),
    ("sq010_sh0020", "sq010_sh0020"),
    ("SH010 0040", "SH010_0040"),  # underscore read as a space
    ("SH010 _ 0040", "SH010_0040"),
    ("EP01 S023 C012", "EP01_S023_C012"),
    ("EP01S023C012", "EP01_S023_C012"),  # underscores dropped before letters
    ("SH01O_0040", "SH010_0040"),  # O in a numeric field
    ("SH0l0_OO4O", "SH010_0040"),
    ("SHOT_0010", "SHOT_0010"),  # letters stay letters in the alphabetic part
    ("  SH010_0040  ", "SH010_0040"),
])
def test_clean_shot_name(text: str, expected: str) -> None:
    assert clean_shot_name(text) == expected


@pytest.mark.parametrize("text", ["", "01:00:02:13", "1001", "SH010", "hello world", "SH010_"])
def test_clean_shot_name_refuses_what_is_not_a_name(text: str) -> None:
    assert clean_shot_name(text) is None


def test_clean_shot_name_with_a_site_pattern() -> None:
    site = r"[A-Z]{3}\d{3}_\d{4}"
    assert clean_shot_name("ABC010 0040", site) == "ABC010_0040"
    assert clean_shot_name("ABC010_OO40", site) == "ABC010_0040"
    assert clean_shot_name("SH010_0040", site) is None
    assert clean_shot_name("abc010_0040", re.compile(site, re.IGNORECASE)) == "abc010_0040"


@pytest.mark.parametrize("name", ["SH010_0040", "EP01_S023_C012", "ABC_0100", "sq010_sh0020",
                                  "SEQ010_SH0020_V2", "A_1"])
def test_default_pattern_matches_common_naming(name: str) -> None:
    assert re.fullmatch(DEFAULT_SHOT_PATTERN, name)


@pytest.mark.parametrize("text", ["01:00:02:13", "1001", "SH010", "_0040", "SH010_0040_", "SH010__0040"])
def test_default_pattern_refuses_other_burn_ins(text: str) -> None:
    assert not re.fullmatch(DEFAULT_SHOT_PATTERN, text)


@pytest.mark.parametrize(("text", "expected"), [
    ("1001", 1001), ("86400", 86400), (" 1001 ", 1001), ("10 01", 1001),
    ("lOO1", 1001), ("1O0B", 1008), ("IOO|", None), ("１００１", 1001),
])
def test_clean_counter(text: str, expected: int | None) -> None:
    assert clean_counter(text) == expected


@pytest.mark.parametrize("text", ["", "BOSS", "01:00:02:13", "SH010", "1001a", "-5", "1234567890"])
def test_clean_counter_refuses_what_is_not_a_counter(text: str) -> None:
    assert clean_counter(text) is None
