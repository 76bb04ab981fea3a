"""Editorial outputs (OTIO, CMX 3600 EDL, CSV) from hand-built manifests: no FFmpeg needed."""

from __future__ import annotations

import csv
import itertools
import os
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from jobs import editorial
from jobs.cut_fields import Handles, Numbering, cut_fields
from jobs.editorial import write_csv, write_edl, write_otio
from jobs.manifest import (
    Cut,
    DetectorSettings,
    Manifest,
    OutputFile,
    Outputs,
    PlateInfo,
    Rational,
    Software,
    SplitSettings,
    Transition,
)
from jobs.timecode import FrameRate, TimecodeError, frames_to_timecode

# name, first_frame, last_frame, source_tc_in, source_tc_out, record_tc_in, record_tc_out
CutRow = tuple[str, int, int, str | None, str | None, str, str]


def _plate(num: int, den: int, frames: int, start: str | None, drop: bool = False) -> PlateInfo:
    return PlateInfo(
        source="plate.mov", kind="movie", container="mov", codec="prores", width=1920,
        height=1080, pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
        frame_rate=Rational(num=num, den=den), frame_count=frames, frame_count_counted=False,
        duration=str(Fraction(frames * den, num)), start_timecode=start, drop_frame=drop,
        intra_only=True,
    )


def _cut(index: int, row: CutRow, rate: Fraction, **extra: Any) -> Cut:
    """A cut as schema 1 had it (head_in..head_out, no handles): read as schema 2."""
    name, first, last, src_in, src_out, rec_in, rec_out = row
    count = last - first + 1
    return Cut.model_validate(dict(
        index=index, name=name, first_frame=first, last_frame=last, frame_count=count,
        head_in=1001, head_out=1000 + count, start_time=str(first / rate),
        duration=str(count / rate), source_tc_in=src_in, source_tc_out=src_out,
        record_tc_in=rec_in, record_tc_out=rec_out,
        boundary_in="start" if index == 1 else "cut", confidence=1.0 if index == 1 else 0.9,
        **extra,
    ))


def _manifest(name: str, plate: PlateInfo, cuts: list[Cut]) -> Manifest:
    transitions = [c.transition_in for c in cuts if c.transition_in is not None]
    return Manifest(
        plate_name=name, created_at=datetime(2024, 5, 1, tzinfo=UTC), plate=plate, cuts=cuts,
        transitions=transitions, detector=DetectorSettings(),
        split=SplitSettings(enabled=True, codec="copy", head_in=1001, copied=True),
        outputs=Outputs(), software=Software(version="0.1.0", ffmpeg="7.0"), timings={},
    )


def _media(name: str, frames: int) -> OutputFile:
    return OutputFile(path=f"cuts/{name}.mov", sha256="ab" * 32, size_bytes=1000, frames=frames)


# (a) 23.976, start 01:00:00:00, a dissolve into SH020 (4 frames before the edit, 8 from it),
# and SH030 with a burn-in source timecode that is not the plate's.
DISSOLVE = Transition(kind="dissolve", first_frame=44, last_frame=55, edit_frame=48,
                      confidence=0.8)


def manifest_2398() -> Manifest:
    rate = Fraction(24000, 1001)
    rows: list[CutRow] = [
        ("SH010", 0, 47, "01:00:00:00", "01:00:02:00", "01:00:00:00", "01:00:02:00"),
        ("SH020", 48, 119, "01:00:02:00", "01:00:05:00", "01:00:02:00", "01:00:05:00"),
        ("SH030", 120, 143, "14:22:10:05", "14:22:11:05", "01:00:05:00", "01:00:06:00"),
    ]
    cuts = [
        _cut(1, rows[0], rate, media=_media("SH010", 48),
             thumbnail=OutputFile(path="thumbs/SH010.jpg", sha256="cd" * 32, size_bytes=10)),
        _cut(2, rows[1], rate, transition_in=DISSOLVE),
        _cut(3, rows[2], rate, is_black=True),
    ]
    return _manifest("A001C003_230101", _plate(24000, 1001, 144, "01:00:00:00"), cuts)


# (b) 29.97 drop-frame from 00:59:59;00: cuts at 01:00:00;00 and 01:01:00;02 (the first
# frame of minute 1: ;00 and ;01 do not exist). Record starts at 01:00:00;00.
def manifest_2997_df() -> Manifest:
    rate = Fraction(30000, 1001)
    rows: list[CutRow] = [
        ("DF010", 0, 29, "00:59:59;00", "01:00:00;00", "01:00:00;00", "01:00:01;00"),
        ("DF020", 30, 1829, "01:00:00;00", "01:01:00;02", "01:00:01;00", "01:01:01;02"),
        ("DF030", 1830, 1869, None, None, "01:01:01;02", "01:01:02;12"),
    ]
    cuts = [_cut(i, row, rate) for i, row in enumerate(rows, start=1)]
    return _manifest("df plate", _plate(30000, 1001, 1870, "00:59:59;00", drop=True), cuts)


# (c) 25 fps without a start timecode: source timecode counts from 00:00:00:00.
def manifest_25() -> Manifest:
    rate = Fraction(25)
    rows: list[CutRow] = [
        ("pal-010", 0, 99, None, None, "10:00:00:00", "10:00:04:00"),
        ("pal-020", 100, 112, None, None, "10:00:04:00", "10:00:04:13"),
    ]
    cuts = [_cut(i, row, rate) for i, row in enumerate(rows, start=1)]
    return _manifest("shot-plate v2", _plate(25, 1, 113, None), cuts)


# (d) 29.97 non-drop: the EDL must count 30 frames a second, with ':'.
def manifest_2997_ndf() -> Manifest:
    rate = Fraction(30000, 1001)
    rows: list[CutRow] = [
        ("ND010", 0, 1799, None, None, "01:00:00:00", "01:01:00:00"),
        ("ND020", 1800, 1829, None, None, "01:01:00:00", "01:01:01:00"),
    ]
    cuts = [_cut(i, row, rate) for i, row in enumerate(rows, start=1)]
    return _manifest("ndf", _plate(30000, 1001, 1830, "01:00:00:00"), cuts)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _read_edl(path: Path, rate: float) -> Any:
    return otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=rate)


def _clips(timeline: Any) -> list[Any]:
    return list(timeline.tracks[0].find_clips())


# --- EDL --------------------------------------------------------------------------------


def test_edl_2398_with_dissolve(tmp_path: Path) -> None:
    path = tmp_path / "plate.edl"
    write_edl(manifest_2398(), path)
    assert _lines(path) == [
        "TITLE: A001C003_230101",
        "FCM: NON-DROP FRAME",
        "",
        "001  A001C003 V     C        01:00:00:00 01:00:01:20 01:00:00:00 01:00:01:20",
        "* FROM CLIP NAME: SH010",
        "* LOC: 01:00:00:00 YELLOW  SH010",
        "* COMMENT: SH010",
        "* PLATECUT: cut_order=1 head_in=1001 cut_in=1001 cut_out=1048 tail_out=1048 "
        "head_handles=0 tail_handles=0 cut_duration=48 working_duration=48",
        "",
        "002  A001C003 V     C        01:00:01:20 01:00:01:20 01:00:01:20 01:00:01:20",
        "002  A001C003 V     D 012    01:00:01:20 01:00:05:00 01:00:01:20 01:00:05:00",
        "* FROM CLIP NAME: SH010",
        "* TO CLIP NAME: SH020",
        "* LOC: 01:00:02:00 YELLOW  SH020",  # the incoming cut's first frame, past the dissolve's start
        "* COMMENT: SH020",
        "* PLATECUT: cut_order=2 head_in=1001 cut_in=1001 cut_out=1072 tail_out=1072 "
        "head_handles=0 tail_handles=0 cut_duration=72 working_duration=72",
        "",
        "003  A001C003 V     C        14:22:10:05 14:22:11:05 01:00:05:00 01:00:06:00",
        "* FROM CLIP NAME: SH030",
        "* LOC: 14:22:10:05 YELLOW  SH030",
        "* COMMENT: SH030",
        "* PLATECUT: cut_order=3 head_in=1001 cut_in=1001 cut_out=1024 tail_out=1024 "
        "head_handles=0 tail_handles=0 cut_duration=24 working_duration=24",
    ]


def test_edl_2398_reads_back_with_otio(tmp_path: Path) -> None:
    path = tmp_path / "plate.edl"
    write_edl(manifest_2398(), path)
    timeline = _read_edl(path, 24000 / 1001)
    clips = _clips(timeline)
    assert timeline.name == "A001C003_230101"
    assert [c.name for c in clips] == ["SH010", "SH020", "SH030"]
    # CMX dissolves start the incoming event at the dissolve: 4 frames move from SH010 to SH020.
    assert [c.source_range.duration.value for c in clips] == [48 - 4, 72 + 4, 24]
    assert [c.source_range.start_time.value for c in clips] == [86400, 86448 - 4, 1241525]
    transition = timeline.tracks[0][1]
    assert isinstance(transition, otio.schema.Transition)
    assert transition.out_offset.value == 12
    assert timeline.tracks[0].duration().value == 144


def test_edl_drop_frame_across_minutes(tmp_path: Path) -> None:
    path = tmp_path / "df.edl"
    write_edl(manifest_2997_df(), path)
    assert _lines(path) == [
        "TITLE: df plate",
        "FCM: DROP FRAME",
        "",
        "001  DFPLATE  V     C        00:59:59;00 01:00:00;00 01:00:00;00 01:00:01;00",
        "* FROM CLIP NAME: DF010",
        "* LOC: 00:59:59;00 YELLOW  DF010",
        "* COMMENT: DF010",
        "* PLATECUT: cut_order=1 head_in=1001 cut_in=1001 cut_out=1030 tail_out=1030 "
        "head_handles=0 tail_handles=0 cut_duration=30 working_duration=30",
        "",
        "002  DFPLATE  V     C        01:00:00;00 01:01:00;02 01:00:01;00 01:01:01;02",
        "* FROM CLIP NAME: DF020",
        "* LOC: 01:00:00;00 YELLOW  DF020",
        "* COMMENT: DF020",
        "* PLATECUT: cut_order=2 head_in=1001 cut_in=1001 cut_out=2800 tail_out=2800 "
        "head_handles=0 tail_handles=0 cut_duration=1800 working_duration=1800",
        "",
        "003  DFPLATE  V     C        01:01:00;02 01:01:01;12 01:01:01;02 01:01:02;12",
        "* FROM CLIP NAME: DF030",
        "* LOC: 01:01:00;02 YELLOW  DF030",
        "* COMMENT: DF030",
        "* PLATECUT: cut_order=3 head_in=1001 cut_in=1001 cut_out=1040 tail_out=1040 "
        "head_handles=0 tail_handles=0 cut_duration=40 working_duration=40",
    ]


def test_edl_drop_frame_reads_back_with_otio(tmp_path: Path) -> None:
    path = tmp_path / "df.edl"
    manifest = manifest_2997_df()
    write_edl(manifest, path)
    clips = _clips(_read_edl(path, 30000 / 1001))
    assert [c.name for c in clips] == ["DF010", "DF020", "DF030"]
    assert [c.source_range.duration.value for c in clips] == [c.frame_count for c in manifest.cuts]
    # 00:59:59;00 is 107892 - 30; 01:01:00;02 is 107892 + 1800.
    assert [c.source_range.start_time.value for c in clips] == [107862, 107892, 109692]


def test_edl_25_without_start_timecode(tmp_path: Path) -> None:
    path = tmp_path / "pal.edl"
    manifest = manifest_25()
    write_edl(manifest, path)
    assert _lines(path) == [
        "TITLE: shot-plate v2",
        "FCM: NON-DROP FRAME",
        "",
        "001  SHOTPLAT V     C        00:00:00:00 00:00:04:00 10:00:00:00 10:00:04:00",
        "* FROM CLIP NAME: pal-010",
        "* LOC: 00:00:00:00 YELLOW  pal-010",
        "* COMMENT: pal-010",
        "* PLATECUT: cut_order=1 head_in=1001 cut_in=1001 cut_out=1100 tail_out=1100 "
        "head_handles=0 tail_handles=0 cut_duration=100 working_duration=100",
        "",
        "002  SHOTPLAT V     C        00:00:04:00 00:00:04:13 10:00:04:00 10:00:04:13",
        "* FROM CLIP NAME: pal-020",
        "* LOC: 00:00:04:00 YELLOW  pal-020",
        "* COMMENT: pal-020",
        "* PLATECUT: cut_order=2 head_in=1001 cut_in=1001 cut_out=1013 tail_out=1013 "
        "head_handles=0 tail_handles=0 cut_duration=13 working_duration=13",
    ]
    clips = _clips(_read_edl(path, 25))
    assert [c.source_range.duration.value for c in clips] == [100, 13]


def test_edl_2997_non_drop_counts_30_frames(tmp_path: Path) -> None:
    path = tmp_path / "ndf.edl"
    write_edl(manifest_2997_ndf(), path)
    lines = _lines(path)
    assert lines[1] == "FCM: NON-DROP FRAME"
    assert lines[3] == "001  NDF      V     C        01:00:00:00 01:01:00:00 01:00:00:00 01:01:00:00"
    assert lines[9] == "002  NDF      V     C        01:01:00:00 01:01:01:00 01:01:00:00 01:01:01:00"
    clips = _clips(_read_edl(path, 30000 / 1001))
    assert [c.source_range.duration.value for c in clips] == [1800, 30]


@pytest.mark.parametrize("build", [manifest_2398, manifest_2997_df, manifest_25,
                                   manifest_2997_ndf])
def test_edl_record_timecode_is_contiguous(tmp_path: Path, build: Any) -> None:
    path = tmp_path / "x.edl"
    write_edl(build(), path)
    events = [line.split() for line in _lines(path) if line[:1].isdigit()]
    for before, after in itertools.pairwise(events):
        assert after[-2] == before[-1]
    assert events[0][-2] == build().cuts[0].record_tc_in
    assert events[-1][-1] == build().cuts[-1].record_tc_out


def test_reel_name() -> None:
    assert editorial.reel_name("A001C003_230101") == "A001C003"
    assert editorial.reel_name("shot-plate v2") == "SHOTPLAT"
    assert editorial.reel_name("!!!") == "AX"


# --- OTIO -------------------------------------------------------------------------------


def test_otio_2398_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "plate.otio"
    write_otio(manifest_2398(), path)
    timeline = otio.adapters.read_from_file(str(path))
    assert timeline.name == "A001C003_230101"
    assert timeline.global_start_time.value == 86400
    assert timeline.global_start_time.rate == pytest.approx(24000 / 1001)
    assert len(timeline.video_tracks()) == 1
    track = timeline.tracks[0]
    assert [type(item).__name__ for item in track] == ["Clip", "Transition", "Clip", "Clip"]
    clips = _clips(timeline)
    assert [c.name for c in clips] == ["SH010", "SH020", "SH030"]
    assert [c.source_range.duration.value for c in clips] == [48, 72, 24]
    assert [c.source_range.start_time.value for c in clips] == [86400, 86448, 1241525]
    assert track.duration().value == 144


def test_otio_transition_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plate.otio"
    write_otio(manifest_2398(), path)
    track = otio.adapters.read_from_file(str(path)).tracks[0]
    transition = track[1]
    assert transition.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
    assert (transition.in_offset.value, transition.out_offset.value) == (4, 8)
    assert dict(transition.metadata["platecut"]) == {
        "kind": "dissolve", "first_frame": 44, "last_frame": 55, "edit_frame": 48,
        "confidence": 0.8}
    meta = dict(track[2].metadata["platecut"])
    # schema 1's head_out is media_out now; a cut built the schema 1 way has no handles
    assert meta == {"index": 2, "first_frame": 48, "last_frame": 119, "head_in": 1001,
                    "media_out": 1072, "source_tc_in": "01:00:02:00",
                    "source_tc_out": "01:00:05:00", "confidence": 0.9, "boundary_in": "cut",
                    "cut_order": 2, "cut_in": 1001, "cut_out": 1072, "tail_out": 1072,
                    "head_handles": 0, "tail_handles": 0, "cut_duration": 72,
                    "working_duration": 72, "media_in": 1001, "picture_hash": None}


def test_otio_media_references(tmp_path: Path) -> None:
    path = tmp_path / "plate.otio"
    write_otio(manifest_2398(), path)
    clips = _clips(otio.adapters.read_from_file(str(path)))
    reference = clips[0].media_reference
    assert isinstance(reference, otio.schema.ExternalReference)
    assert reference.target_url == "cuts/SH010.mov"
    assert reference.available_range.start_time.value == 86400
    assert reference.available_range.duration.value == 48
    assert isinstance(clips[1].media_reference, otio.schema.MissingReference)


def test_otio_drop_frame_source_frames(tmp_path: Path) -> None:
    path = tmp_path / "df.otio"
    write_otio(manifest_2997_df(), path)
    timeline = otio.adapters.read_from_file(str(path))
    clips = _clips(timeline)
    assert timeline.global_start_time.value == 107892
    assert [c.source_range.start_time.value for c in clips] == [107862, 107892, 109692]
    assert [c.source_range.duration.value for c in clips] == [30, 1800, 40]
    rate = 30000 / 1001
    start = clips[2].source_range.start_time
    assert otio.opentime.to_timecode(start, rate, True) == "01:01:00;02"
    assert timeline.metadata["platecut"]["drop_frame"] is True


def test_otio_25_source_from_zero(tmp_path: Path) -> None:
    path = tmp_path / "pal.otio"
    write_otio(manifest_25(), path)
    clips = _clips(otio.adapters.read_from_file(str(path)))
    assert [c.source_range.start_time.value for c in clips] == [0, 100]
    assert [c.source_range.duration.value for c in clips] == [100, 13]
    assert clips[0].source_range.start_time.rate == 25


def test_transition_clamped_to_neighbours(tmp_path: Path) -> None:
    rate = Fraction(25)
    wide = Transition(kind="fade", first_frame=0, last_frame=40, edit_frame=10, confidence=0.5)
    cuts = [
        _cut(1, ("A", 0, 9, None, None, "01:00:00:00", "01:00:00:10"), rate),
        _cut(2, ("B", 10, 29, None, None, "01:00:00:10", "01:00:01:05"), rate,
             transition_in=wide),
    ]
    manifest = _manifest("clamp", _plate(25, 1, 30, "01:00:00:00"), cuts)
    write_otio(manifest, tmp_path / "c.otio")
    transition = otio.adapters.read_from_file(str(tmp_path / "c.otio")).tracks[0][1]
    assert (transition.in_offset.value, transition.out_offset.value) == (10, 20)
    write_edl(manifest, tmp_path / "c.edl")
    lines = _lines(tmp_path / "c.edl")
    assert lines[3] == "001  CLAMP    V     C        01:00:00:00 01:00:00:00 01:00:00:00 01:00:00:00"
    assert lines[10] == "002  CLAMP    V     D 030    01:00:00:00 01:00:01:05 01:00:00:00 01:00:01:05"


def test_transition_on_first_cut_is_ignored(tmp_path: Path) -> None:
    rate = Fraction(25)
    fade = Transition(kind="fade", first_frame=0, last_frame=5, edit_frame=0, confidence=0.5)
    cuts = [_cut(1, ("A", 0, 9, None, None, "01:00:00:00", "01:00:00:10"), rate,
                 transition_in=fade)]
    manifest = _manifest("first", _plate(25, 1, 10, None), cuts)
    write_otio(manifest, tmp_path / "f.otio")
    track = otio.adapters.read_from_file(str(tmp_path / "f.otio")).tracks[0]
    assert [type(item).__name__ for item in track] == ["Clip"]
    write_edl(manifest, tmp_path / "f.edl")
    assert "D " not in (tmp_path / "f.edl").read_text()


def test_no_cuts(tmp_path: Path) -> None:
    manifest = _manifest("empty", _plate(25, 1, 10, "01:00:00:00"), [])
    write_edl(manifest, tmp_path / "e.edl")
    assert _lines(tmp_path / "e.edl") == ["TITLE: empty", "FCM: NON-DROP FRAME"]
    write_otio(manifest, tmp_path / "e.otio")
    timeline = otio.adapters.read_from_file(str(tmp_path / "e.otio"))
    assert timeline.global_start_time.value == 90000
    assert len(timeline.tracks[0]) == 0


# --- CSV --------------------------------------------------------------------------------


def test_csv_rows(tmp_path: Path) -> None:
    path = tmp_path / "cuts.csv"
    write_csv(manifest_2398(), path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # schema 1's head_out column is media_out now, among the cut fields (cuts built the
    # schema 1 way: no handles)
    assert rows == [
        list(editorial.CSV_COLUMNS),
        ["1", "SH010", "0", "47", "48", "1", "1001", "1001", "1048", "1048", "0", "0", "48",
         "48", "1001", "1048", "01:00:00:00", "01:00:02:00",
         "01:00:00:00", "01:00:02:00", "start", "", "", "", "1.0", "false",
         "cuts/SH010.mov", "ab" * 32, "thumbs/SH010.jpg", ""],
        ["2", "SH020", "48", "119", "72", "2", "1001", "1001", "1072", "1072", "0", "0", "72",
         "72", "1001", "1072", "01:00:02:00", "01:00:05:00",
         "01:00:02:00", "01:00:05:00", "cut", "dissolve", "44", "55", "0.9", "false",
         "", "", "", ""],
        ["3", "SH030", "120", "143", "24", "3", "1001", "1001", "1024", "1024", "0", "0", "24",
         "24", "1001", "1024", "14:22:10:05", "14:22:11:05",
         "01:00:05:00", "01:00:06:00", "cut", "", "", "", "0.9", "true", "", "", "", ""],
    ]
    assert editorial.CSV_COLUMNS[:3] == ("index", "name", "first_frame")
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "index,name,first_frame,last_frame,frame_count,cut_order,head_in,cut_in,cut_out,"
        "tail_out,head_handles,tail_handles,cut_duration,working_duration,media_in,media_out,"
        "source_tc_in,source_tc_out,record_tc_in,record_tc_out,boundary_in,transition_kind,"
        "transition_first,transition_last,confidence,is_black,media,media_sha256,thumbnail,"
        "picture_hash")


def test_csv_drop_frame_rows_keep_manifest_timecodes(tmp_path: Path) -> None:
    path = tmp_path / "cuts.csv"
    write_csv(manifest_2997_df(), path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["source_tc_in"], r["source_tc_out"]) for r in rows] == [
        ("00:59:59;00", "01:00:00;00"), ("01:00:00;00", "01:01:00;02"), ("", "")]
    assert [r["record_tc_out"] for r in rows] == ["01:00:01;00", "01:01:01;02", "01:01:02;12"]


# --- atomic writes ----------------------------------------------------------------------


WRITERS = [write_otio, write_edl, write_csv]


@pytest.mark.parametrize("writer", WRITERS)
def test_failed_replace_leaves_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: Any) -> None:
    path = tmp_path / "out.file"
    path.write_text("old", encoding="utf-8")

    def refuse(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        writer(manifest_25(), path)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.file"]


@pytest.mark.parametrize("writer", [write_otio, write_edl])
def test_bad_timecode_writes_nothing(tmp_path: Path, writer: Any) -> None:
    rate = Fraction(30000, 1001)
    # 00:01:00;00 does not exist in drop-frame counting.
    cuts = [_cut(1, ("X", 0, 9, "00:01:00;00", None, "01:00:00;00", "01:00:00;10"), rate)]
    manifest = _manifest("bad", _plate(30000, 1001, 10, "01:00:00;00", drop=True), cuts)
    with pytest.raises(TimecodeError):
        writer(manifest, tmp_path / "bad.out")
    assert list(tmp_path.iterdir()) == []


def test_written_file_follows_umask(tmp_path: Path) -> None:
    path = tmp_path / "cuts.csv"
    previous = os.umask(0o022)
    try:
        write_csv(manifest_25(), path)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0600 a mkstemp file would have


# --- why the EDL is not written by the cmx_3600 adapter ---------------------------------


def test_cmx_adapter_limits_that_justify_hand_written_edl() -> None:
    """otio-cmx3600-adapter 1.0.0: fine at 23.976, wrong for us in three other ways."""
    def adapter_events(manifest: Manifest, rate: float) -> list[str]:
        text = otio.adapters.write_to_string(editorial._timeline(manifest), "cmx_3600",
                                             rate=rate)
        assert "FCM" not in text  # 1. no FCM line at all
        return [line for line in text.splitlines() if line[:1].isdigit()]

    # 23.976 counts 24 frames a second, as we do; but 2. record time ignores the timeline's
    # global start (01:00:00:00) and starts at 00:00:00:00.
    assert adapter_events(manifest_2398(), 24000 / 1001)[0].split()[-4:] == [
        "01:00:00:00", "01:00:01:20", "00:00:00:00", "00:00:01:20"]
    # 3. drop-frame is decided by the rate alone: a non-drop 29.97 plate's 01:00:00:00
    # (frame 108000) comes out as the drop-frame label 01:00:03;18.
    assert adapter_events(manifest_2997_ndf(), 30000 / 1001)[0].split()[-4] == "01:00:03;18"


# --- schema 2: cut fields, handles, the two kinds of plate -------------------------------


def _numbered_cut(index: int, name: str, first: int, last: int, numbering: Numbering,
                  rate: FrameRate, **extra: Any) -> Cut:
    """A cut as the job writes it: its segment's timecodes from the plate's 01:00:00:00."""
    count = last - first + 1

    def tc(frame: int) -> str:
        return frames_to_timecode(86400 + frame, rate)

    return Cut(index=index, name=name, first_frame=first, last_frame=last, frame_count=count,
               **cut_fields(numbering, index, count).as_dict(),
               start_time=str(first / rate.fraction), duration=str(count / rate.fraction),
               source_tc_in=tc(first), source_tc_out=tc(last + 1), record_tc_in=tc(first),
               record_tc_out=tc(last + 1), boundary_in="start" if index == 1 else "cut",
               confidence=1.0, **extra)


def _numbered(name: str, numbering: Numbering, segments: list[tuple[str, int, int]],
              **extra: Any) -> Manifest:
    rate = FrameRate(24000, 1001)
    cuts = [_numbered_cut(i, shot, first, last, numbering, rate, **extra.get(shot, {}))
            for i, (shot, first, last) in enumerate(segments, start=1)]
    split = SplitSettings(enabled=True, codec="copy", head_in=numbering.head_in, copied=True,
                          plate_kind=numbering.kind, head_handles=numbering.handles.head,
                          tail_handles=numbering.handles.tail)
    return Manifest(plate_name=name, created_at=datetime(2024, 5, 1, tzinfo=UTC),
                    plate=_plate(24000, 1001, segments[-1][2] + 1, "01:00:00:00"), cuts=cuts,
                    transitions=[], detector=DetectorSettings(), split=split, outputs=Outputs(),
                    software=Software(version="0.1.0", ffmpeg="7.0"), timings={})


# (e) a scan at 23.976 from 01:00:00:00, 8 + 8 handles: SC010 (8 + 48 + 8 frames), a 16-frame
# slate too short for its handles (all cut), SC030 (8 + 12 + 8) with a fade found in its head
FADE = Transition(kind="fade", first_frame=78, last_frame=83, edit_frame=80, confidence=0.5)


def manifest_scan() -> Manifest:
    return _numbered("R1_SCAN", Numbering("scan", 1001, Handles(8, 8)),
                     [("SC010", 0, 63), ("SLATE", 64, 79), ("SC030", 80, 107)],
                     SC030={"transition_in": FADE, "picture_hash": "00ff00ff00ff00ff"})


def manifest_reference_handles() -> Manifest:
    return _numbered("EDITREF", Numbering("reference", 1001, Handles(8, 8)),
                     [("SH010", 0, 47), ("SH020", 48, 71)])


def test_edl_of_a_scan_is_its_cuts_without_their_handles(tmp_path: Path) -> None:
    path = tmp_path / "scan.edl"
    write_edl(manifest_scan(), path)
    assert _lines(path) == [
        "TITLE: R1_SCAN",
        "FCM: NON-DROP FRAME",
        "",
        # plate frames 8..55 of the 0..63 segment: 48 frames, where they sit on the plate
        "001  R1_SCAN  V     C        01:00:00:08 01:00:02:08 01:00:00:08 01:00:02:08",
        "* FROM CLIP NAME: SC010",
        "* LOC: 01:00:00:08 YELLOW  SC010",
        "* COMMENT: SC010",
        "* PLATECUT: cut_order=1 head_in=1001 cut_in=1009 cut_out=1056 tail_out=1064 "
        "head_handles=8 tail_handles=8 cut_duration=48 working_duration=64",
        "",
        "002  R1_SCAN  V     C        01:00:02:16 01:00:03:08 01:00:02:16 01:00:03:08",
        "* FROM CLIP NAME: SLATE",
        "* LOC: 01:00:02:16 YELLOW  SLATE",
        "* COMMENT: SLATE",
        "* PLATECUT: cut_order=2 head_in=1001 cut_in=1001 cut_out=1016 tail_out=1016 "
        "head_handles=0 tail_handles=0 cut_duration=16 working_duration=16",
        "",
        # no dissolve: the fade lies in handles, between two events that do not meet
        "003  R1_SCAN  V     C        01:00:03:16 01:00:04:04 01:00:03:16 01:00:04:04",
        "* FROM CLIP NAME: SC030",
        "* LOC: 01:00:03:16 YELLOW  SC030",
        "* COMMENT: SC030",
        "* PLATECUT: cut_order=3 head_in=1001 cut_in=1009 cut_out=1020 tail_out=1028 "
        "head_handles=8 tail_handles=8 cut_duration=12 working_duration=28",
    ]


def _platecut_words(clip: Any) -> dict[str, int]:
    comments = clip.metadata["cmx_3600"]["comments"]
    words = next(c for c in comments if c.startswith("PLATECUT: ")).removeprefix("PLATECUT: ")
    return {key: int(value) for key, value in (word.split("=") for word in words.split())}


# source (start, frames) and record start of each event, read back: the cuts' own frames
READ_BACK = {
    # a scan: 8 frames into SC010's and SC030's segments; the slate whole; gaps between
    "scan": (manifest_scan, [(86408, 48), (86464, 16), (86488, 12)], [86408, 86464, 86488]),
    # a reference plate: the segments are the cuts, back to back
    "reference": (manifest_reference_handles, [(86400, 48), (86448, 24)], [86400, 86448]),
}


@pytest.mark.parametrize("kind", sorted(READ_BACK))
def test_edl_reads_back_with_otio_names_ranges_and_cut_fields(tmp_path: Path, kind: str) -> None:
    build, sources, records = READ_BACK[kind]
    manifest = build()
    write_edl(manifest, tmp_path / "x.edl")
    timeline = _read_edl(tmp_path / "x.edl", 24000 / 1001)  # the plate's rate
    clips = _clips(timeline)
    assert [c.name for c in clips] == [cut.name for cut in manifest.cuts]
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == sources
    first_record = -timeline.tracks[0].source_range.start_time.value  # the adapter's track start
    assert [first_record + c.range_in_parent().start_time.value for c in clips] == records
    # the shot's name three ways: clip name, locator (a marker at the cut's first frame), comment
    assert [[(m.name, m.marked_range.start_time.value) for m in c.markers] for c in clips] == [
        [(cut.name, start)] for cut, (start, _) in zip(manifest.cuts, sources, strict=True)]
    assert [c.metadata["cmx_3600"]["comments"][0] for c in clips] == [
        f"COMMENT: {cut.name}" for cut in manifest.cuts]
    assert [_platecut_words(c) for c in clips] == [
        {k: v for k, v in cut.cut_fields.as_dict().items() if k not in ("media_in", "media_out")}
        for cut in manifest.cuts]
    if kind == "scan":
        assert _platecut_words(clips[0]) == {
            "cut_order": 1, "head_in": 1001, "cut_in": 1009, "cut_out": 1056, "tail_out": 1064,
            "head_handles": 8, "tail_handles": 8, "cut_duration": 48, "working_duration": 64}


def test_edl_locator_names_the_incoming_cut_of_a_dissolve(tmp_path: Path) -> None:
    write_edl(manifest_2398(), tmp_path / "d.edl")
    clips = _clips(_read_edl(tmp_path / "d.edl", 24000 / 1001))
    assert [[(m.name, m.marked_range.start_time.value) for m in c.markers] for c in clips] == [
        [("SH010", 86400)], [("SH020", 86448)], [("SH030", 1241525)]]


def test_drop_frame_locators_are_skipped_by_otio_the_comment_still_names_the_shot(
        tmp_path: Path) -> None:
    write_edl(manifest_2997_df(), tmp_path / "df.edl")
    clips = _clips(_read_edl(tmp_path / "df.edl", 30000 / 1001))
    assert [list(c.markers) for c in clips] == [[], [], []]  # its locator pattern wants ':'
    assert [c.metadata["cmx_3600"]["comments"][0] for c in clips] == [
        "COMMENT: DF010", "COMMENT: DF020", "COMMENT: DF030"]


def test_otio_of_a_scan_keeps_the_plate_with_gaps_for_handles(tmp_path: Path) -> None:
    path = tmp_path / "scan.otio"
    write_otio(manifest_scan(), path)
    timeline = otio.adapters.read_from_file(str(path))
    track = timeline.tracks[0]
    assert timeline.global_start_time.value == 86400  # plate frame 0
    assert [(type(i).__name__, i.duration().value) for i in track] == [
        ("Gap", 8), ("Clip", 48), ("Gap", 8), ("Clip", 16), ("Gap", 8), ("Clip", 12), ("Gap", 8)]
    assert track.duration().value == 108  # every plate frame
    clips = _clips(timeline)
    assert [c.source_range.start_time.value for c in clips] == [86408, 86464, 86488]
    assert [c.range_in_parent().start_time.value for c in clips] == [8, 64, 88]
    meta = dict(clips[2].metadata["platecut"])
    assert meta == {"index": 3, "first_frame": 80, "last_frame": 107, "cut_order": 3,
                    "head_in": 1001, "cut_in": 1009, "cut_out": 1020, "tail_out": 1028,
                    "head_handles": 8, "tail_handles": 8, "cut_duration": 12,
                    "working_duration": 28, "media_in": 1001, "media_out": 1028,
                    "source_tc_in": "01:00:03:08", "source_tc_out": "01:00:04:12",
                    "confidence": 1.0, "boundary_in": "cut", "picture_hash": "00ff00ff00ff00ff"}
    plate = dict(timeline.metadata["platecut"])
    assert (plate["plate_kind"], plate["head_in"], plate["head_handles"], plate["tail_handles"]) == (
        "scan", 1001, 8, 8)


def test_otio_media_reference_holds_the_handles_of_a_scan(tmp_path: Path) -> None:
    cuts = manifest_scan().cuts
    media = [cut.model_copy(update={"media": _media(cut.name, cut.frame_count)}) for cut in cuts]
    manifest = manifest_scan().model_copy(update={"cuts": media})
    write_otio(manifest, tmp_path / "scan.otio")
    clip = _clips(otio.adapters.read_from_file(str(tmp_path / "scan.otio")))[0]
    available = clip.media_reference.available_range
    assert (available.start_time.value, available.duration.value) == (86400, 64)  # 1001..1064
    assert (clip.source_range.start_time.value, clip.source_range.duration.value) == (86408, 48)


def test_csv_of_a_reference_plate_with_handles(tmp_path: Path) -> None:
    path = tmp_path / "cuts.csv"
    write_csv(manifest_reference_handles(), path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keys = ("cut_order", "head_in", "cut_in", "cut_out", "tail_out", "head_handles",
            "tail_handles", "cut_duration", "working_duration", "media_in", "media_out")
    assert [[row[k] for k in keys] for row in rows] == [
        ["1", "1001", "1009", "1056", "1064", "8", "8", "48", "64", "1009", "1056"],
        ["2", "1001", "1009", "1032", "1040", "8", "8", "24", "40", "1009", "1032"]]
    assert [(row["first_frame"], row["last_frame"], row["frame_count"]) for row in rows] == [
        ("0", "47", "48"), ("48", "71", "24")]
