"""Splitting: every cut file holds exactly its frames, no neighbour's, none lost."""

from __future__ import annotations

import hashlib
import subprocess
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from jobs.manifest import Manifest
from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_suite import SUITE, file_name
from jobs.timecode import FrameRate
from tests.conftest import SplitRunner
from tests.media import counted_frames, frame_hashes, frame_pixels, psnr


def _plate_path(out: Path, name: str) -> Path:
    matches = list(out.parent.parent.glob(f"plates*/{name}"))
    assert matches, name
    return matches[0]


def _assert_partition(manifest: Manifest) -> None:
    """The cuts cover every plate frame once, in order."""
    frames = [f for c in manifest.cuts for f in range(c.first_frame, c.last_frame + 1)]
    assert frames == list(range(manifest.plate.frame_count))


def _assert_checksums(out: Path, manifest: Manifest) -> None:
    for cut in manifest.cuts:
        assert cut.media is not None
        if "%" in cut.media.path:
            folder = (out / cut.media.path).parent
            data = b"".join(p.read_bytes() for p in sorted(folder.iterdir()))
        else:
            data = (out / cut.media.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == cut.media.sha256


@pytest.mark.slow
@pytest.mark.parametrize("name", ["r23976_audio", "ntsc_drop_frame"])
def test_intra_only_cuts_are_bit_exact_copies(split_plate: SplitRunner, name: str) -> None:
    spec = SUITE[name]
    out, manifest, truth = split_plate(file_name(name, spec), spec, ocr=None)
    source = frame_hashes(_plate_path(out, file_name(name, spec)))
    assert manifest.split.copied and manifest.split.codec == "copy"
    _assert_partition(manifest)
    _assert_checksums(out, manifest)
    for cut in manifest.cuts:
        assert cut.media is not None
        path = out / cut.media.path
        assert counted_frames(path) == cut.frame_count == cut.media.frames
        assert frame_hashes(path) == source[cut.first_frame : cut.last_frame + 1]
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts


def test_intra_only_is_reencoded_when_another_intermediate_is_asked_for(split_plate: SplitRunner) -> None:
    # only the default (prores) and copy keep an intra-only movie's frames (README: --codec)
    spec = SUITE["ntsc_drop_frame"]
    out, manifest, _ = split_plate(file_name("ntsc_drop_frame", spec), spec, codec="h264", ocr=None)
    assert manifest.plate.intra_only and manifest.plate.codec == "prores"
    assert manifest.split.codec == "h264" and not manifest.split.copied
    _assert_partition(manifest)
    media = manifest.cuts[0].media
    assert media is not None
    codec = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name", "-of", "csv=p=0", str(out / media.path)],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert codec == "h264"
    _assert_reencoded_edges(out, _plate_path(out, file_name("ntsc_drop_frame", spec)), manifest, 35.0)


def test_audio_is_carried_with_the_cut(split_plate: SplitRunner) -> None:
    spec = SUITE["r23976_audio"]
    out, manifest, _ = split_plate(file_name("r23976_audio", spec), spec, ocr=None)
    for cut in manifest.cuts:
        assert cut.media is not None
        info = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                               "stream=codec_name,duration", "-of", "csv=p=0",
                               str(out / cut.media.path)], capture_output=True, text=True,
                              check=True).stdout.strip().split(",")
        assert info[0] == "pcm_s24le"
        assert float(info[1]) == pytest.approx(cut.frame_count * 1001 / 24000, abs=0.001)


def test_drop_frame_timecodes_cross_the_minute(split_plate: SplitRunner) -> None:
    spec = SUITE["ntsc_drop_frame"]
    out, manifest, _ = split_plate(file_name("ntsc_drop_frame", spec), spec, ocr=None)
    assert manifest.plate.drop_frame and manifest.plate.start_timecode == "00:00:59;00"
    assert [c.source_tc_in for c in manifest.cuts] == ["00:00:59;00", "00:01:00;12", "00:01:01;22"]
    assert manifest.cuts[-1].source_tc_out == "00:01:03;02"

    cut = manifest.cuts[1]
    assert cut.media is not None
    tags = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream_tags=timecode",
                           "-of", "csv=p=0", str(out / cut.media.path)],
                          capture_output=True, text=True, check=True).stdout.split()
    assert "00:01:00;12" in tags


DNX = PlateSpec(shots=(ShotSpec("testsrc", 12), ShotSpec("mandel", 14)), width=320, height=180,
                codec="dnxhr", timecode="10:00:00:00")


@pytest.mark.slow
def test_dnxhr_mxf_is_copied_bit_exact(split_plate: SplitRunner) -> None:
    out, manifest, truth = split_plate("dnx.mxf", DNX, ocr=None)
    source = frame_hashes(_plate_path(out, "dnx.mxf"))
    assert manifest.plate.container == "mxf" and manifest.split.copied
    for cut in manifest.cuts:
        assert cut.media is not None
        assert frame_hashes(out / cut.media.path) == source[cut.first_frame : cut.last_frame + 1]
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts


def _assert_reencoded_edges(out: Path, plate: Path, manifest: Manifest, bound: float) -> None:
    for cut in manifest.cuts:
        assert cut.media is not None
        path = out / cut.media.path
        assert counted_frames(path) == cut.frame_count
        for cut_index, plate_index in ((0, cut.first_frame), (cut.frame_count - 1, cut.last_frame)):
            got = frame_pixels(path, cut_index)
            own = psnr(got, frame_pixels(plate, plate_index))
            assert own >= bound
            # and it is clearly not the neighbouring frame of the plate
            neighbour = plate_index - 1 if cut_index == 0 else plate_index + 1
            if 0 <= neighbour < manifest.plate.frame_count:
                assert psnr(got, frame_pixels(plate, neighbour)) < own - 10


@pytest.mark.slow
def test_long_gop_is_reencoded_to_prores_hq(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    out, manifest, _ = split_plate(file_name("different", spec), spec, ocr=None)
    assert manifest.split.codec == "prores" and not manifest.split.copied
    _assert_partition(manifest)
    _assert_reencoded_edges(out, _plate_path(out, "different.mp4"), manifest, 35.0)


HEVC = PlateSpec(shots=(ShotSpec("bars", 15), ShotSpec("testsrc", 15), ShotSpec("mandel", 15)),
                 codec="hevc")


@pytest.mark.slow
def test_hevc_mkv_reencoded_to_h264_on_request(split_plate: SplitRunner) -> None:
    out, manifest, truth = split_plate("hevc.mkv", HEVC, codec="h264", ocr=None)
    assert manifest.plate.codec == "hevc" and manifest.plate.frame_count_counted
    assert manifest.split.codec == "h264"
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts
    _assert_reencoded_edges(out, _plate_path(out, "hevc.mkv"), manifest, 35.0)


@pytest.mark.slow
def test_variable_frame_rate_cuts_keep_their_timestamps(split_plate: SplitRunner) -> None:
    spec = SUITE["vfr"]
    out, manifest, truth = split_plate(file_name("vfr", spec), spec, ocr=None)
    assert manifest.plate.variable_frame_rate
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts
    _assert_reencoded_edges(out, _plate_path(out, "vfr.mp4"), manifest, 35.0)
    # cut 2 spans the change of rate at plate frame 50: its duration is exact
    assert Fraction(manifest.cuts[1].duration) == Fraction(10, 24) + Fraction(30, 30)


@pytest.mark.slow
def test_image_sequence_is_copied_and_renumbered_from_head_in(split_plate: SplitRunner) -> None:
    # a reference plate (the default): each cut's files are numbered from cut_in, head_in plus
    # the 8 head handles (schema 1 numbered them from head_in: 1001)
    spec = SUITE["sequence_1001"]
    out, manifest, truth = split_plate(file_name("sequence_1001", spec), spec, head_in=1001, ocr=None)
    assert manifest.plate.kind == "sequence" and manifest.plate.first_frame_number == 1001
    plate_dir = _plate_path(out, "sequence_1001.1001.png").parent
    for cut in manifest.cuts:
        assert cut.media is not None and cut.head_in == 1001
        assert (cut.cut_in, cut.media_in, cut.cut_out) == (1009, 1009, 1008 + cut.frame_count)
        files = sorted((out / cut.media.path).parent.iterdir())
        assert [f.name for f in files] == [f"{cut.name}.{1009 + i:04d}.png"
                                           for i in range(cut.frame_count)]
        for i, f in enumerate(files):
            source = plate_dir / f"sequence_1001.{1001 + cut.first_frame + i:04d}.png"
            assert f.read_bytes() == source.read_bytes()
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts
    _assert_checksums(out, manifest)


EXR = PlateSpec(shots=(ShotSpec("testsrc", 6), ShotSpec("mandel", 6)), width=160, height=90,
                codec="exr")


@pytest.mark.slow
def test_exr_sequence_head_in_is_configurable(split_plate: SplitRunner) -> None:
    out, manifest, _ = split_plate("exr.%04d.exr", EXR, head_in=101, ocr=None)
    assert manifest.plate.codec == "exr" and manifest.plate.bit_depth == 32
    assert [c.frame_count for c in manifest.cuts] == [6, 6]
    cut = manifest.cuts[1]
    assert cut.media is not None and cut.media.path == f"cuts/{cut.name}/{cut.name}.%04d.exr"
    # numbered from cut_in = 101 + 8 head handles (schema 1: head_in..head_out, 101-106)
    assert (out / f"cuts/{cut.name}/{cut.name}.0109.exr").exists()
    assert not (out / f"cuts/{cut.name}/{cut.name}.0101.exr").exists()
    assert (cut.head_in, cut.cut_in, cut.cut_out, cut.tail_out) == (101, 109, 114, 122)
    assert (cut.media_in, cut.media_out) == (109, 114) and cut.head_out == 114


def test_no_split_writes_description_only(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    out, manifest, _ = split_plate(file_name("different", spec), spec, split=False, ocr=None)
    assert not (out / "cuts").exists()
    assert all(c.media is None for c in manifest.cuts)
    assert (out / "contact_sheet.png").exists() and (out / "manifest.json").exists()
    assert manifest.split.enabled is False


# --- the two kinds of plate ------------------------------------------------------------------

# a scan reel as a PNG sequence: two pulls with 8 + 8 handles (8 + 12 + 8, 8 + 4 + 8 frames)
# and a 12-frame slate, too short for its handles
SCAN_SEQUENCE = PlateSpec(shots=(ShotSpec("testsrc", 28), ShotSpec("mandel", 20),
                                 ShotSpec("bars", 12)), width=160, height=90, codec="png")


def test_a_scan_sequence_is_numbered_from_head_in_with_its_handles(split_plate: SplitRunner) -> None:
    out, manifest, truth = split_plate("scan_seq.%04d.png", SCAN_SEQUENCE, plate_kind="scan",
                                       ocr=None)
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts == [28, 48]
    split = manifest.split
    assert (split.plate_kind, split.head_in, split.head_handles, split.tail_handles) == ("scan", 1001, 8, 8)
    assert [(c.first_frame, c.last_frame, c.frame_count) for c in manifest.cuts] == [
        (0, 27, 28), (28, 47, 20), (48, 59, 12)]
    assert [c.cut_fields.as_dict() for c in manifest.cuts] == [
        {"cut_order": 1, "head_in": 1001, "cut_in": 1009, "cut_out": 1020, "tail_out": 1028,
         "head_handles": 8, "tail_handles": 8, "cut_duration": 12, "working_duration": 28,
         "media_in": 1001, "media_out": 1028},
        {"cut_order": 2, "head_in": 1001, "cut_in": 1009, "cut_out": 1012, "tail_out": 1020,
         "head_handles": 8, "tail_handles": 8, "cut_duration": 4, "working_duration": 20,
         "media_in": 1001, "media_out": 1020},
        {"cut_order": 3, "head_in": 1001, "cut_in": 1001, "cut_out": 1012, "tail_out": 1012,
         "head_handles": 0, "tail_handles": 0, "cut_duration": 12, "working_duration": 12,
         "media_in": 1001, "media_out": 1012}]
    assert [(c.cut_first_frame, c.cut_last_frame) for c in manifest.cuts] == [(8, 19), (36, 39), (48, 59)]
    plate_dir = _plate_path(out, "scan_seq.1001.png").parent
    for cut in manifest.cuts:
        assert cut.media is not None
        files = sorted((out / cut.media.path).parent.iterdir())
        assert [f.name for f in files] == [f"{cut.name}.{1001 + i}.png" for i in range(cut.frame_count)]
        for number, f in zip(range(cut.media_in, cut.media_out + 1), files, strict=True):
            # frame number N of the cut is plate frame plate_frame(N), the plate's file 1001 + that
            plate_file = plate_dir / f"scan_seq.{1001 + cut.plate_frame(number)}.png"
            assert f.read_bytes() == plate_file.read_bytes()
    _assert_partition(manifest)
    _assert_checksums(out, manifest)


# a scan at 23.976 from 01:00:00:00, copied bit for bit: pulls of 8 + 12 + 8 and 8 + 14 + 8
SCAN_MOVIE = PlateSpec(shots=(ShotSpec("testsrc", 28), ShotSpec("mandel", 30)), width=160, height=90,
                       rate=FrameRate(24000, 1001), codec="prores", timecode="01:00:00:00")


def test_a_scan_movie_holds_its_handles_and_its_edl_its_cuts(split_plate: SplitRunner) -> None:
    out, manifest, truth = split_plate("scan.mov", SCAN_MOVIE, plate_kind="scan", ocr=None)
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts == [28]
    source = frame_hashes(_plate_path(out, "scan.mov"))
    for cut in manifest.cuts:
        assert cut.media is not None and cut.media.frames == cut.frame_count
        assert frame_hashes(out / cut.media.path) == source[cut.first_frame : cut.last_frame + 1]
    assert [(c.media_in, c.cut_in, c.cut_out, c.media_out) for c in manifest.cuts] == [
        (1001, 1009, 1020, 1028), (1001, 1009, 1022, 1030)]
    # the movie's timecode is its first frame's: the first head handle
    assert [c.source_tc_in for c in manifest.cuts] == ["01:00:00:00", "01:00:01:04"]
    second = manifest.cuts[1].media
    assert second is not None
    tags = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream_tags=timecode",
                           "-of", "csv=p=0", str(out / second.path)],
                          capture_output=True, text=True, check=True).stdout.split()
    assert "01:00:01:04" in tags
    # the EDL, read back at the plate's rate: each event is the cut without its handles
    assert manifest.outputs.edl is not None
    timeline = otio.adapters.read_from_file(str(out / manifest.outputs.edl.path),
                                            adapter_name="cmx_3600", rate=24000 / 1001)
    clips = list(timeline.tracks[0].find_clips())
    assert [c.name for c in clips] == ["scan_001", "scan_002"]
    # plate frames 8..19 and 36..49 (01:00:00:00 is frame 86400 at 24 frames a second)
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == [
        (86408, 12), (86436, 14)]
    first_record = -timeline.tracks[0].source_range.start_time.value
    assert [first_record + c.range_in_parent().start_time.value for c in clips] == [86408, 86436]
    assert [m.name for c in clips for m in c.markers] == ["scan_001", "scan_002"]
