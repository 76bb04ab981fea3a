"""Splitting: every cut file holds exactly its frames, no neighbour's, none lost."""

from __future__ import annotations

import hashlib
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from jobs.manifest import Manifest
from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_suite import SUITE, file_name
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
    out, manifest, truth = split_plate(file_name(name, spec), spec)
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


def test_audio_is_carried_with_the_cut(split_plate: SplitRunner) -> None:
    spec = SUITE["r23976_audio"]
    out, manifest, _ = split_plate(file_name("r23976_audio", spec), spec)
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
    out, manifest, _ = split_plate(file_name("ntsc_drop_frame", spec), spec)
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
    out, manifest, truth = split_plate("dnx.mxf", DNX)
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
    out, manifest, _ = split_plate(file_name("different", spec), spec)
    assert manifest.split.codec == "prores" and not manifest.split.copied
    _assert_partition(manifest)
    _assert_reencoded_edges(out, _plate_path(out, "different.mp4"), manifest, 35.0)


HEVC = PlateSpec(shots=(ShotSpec("bars", 15), ShotSpec("testsrc", 15), ShotSpec("mandel", 15)),
                 codec="hevc")


@pytest.mark.slow
def test_hevc_mkv_reencoded_to_h264_on_request(split_plate: SplitRunner) -> None:
    out, manifest, truth = split_plate("hevc.mkv", HEVC, codec="h264")
    assert manifest.plate.codec == "hevc" and manifest.plate.frame_count_counted
    assert manifest.split.codec == "h264"
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts
    _assert_reencoded_edges(out, _plate_path(out, "hevc.mkv"), manifest, 35.0)


@pytest.mark.slow
def test_variable_frame_rate_cuts_keep_their_timestamps(split_plate: SplitRunner) -> None:
    spec = SUITE["vfr"]
    out, manifest, truth = split_plate(file_name("vfr", spec), spec)
    assert manifest.plate.variable_frame_rate
    assert [c.first_frame for c in manifest.cuts[1:]] == truth.cut_starts
    _assert_reencoded_edges(out, _plate_path(out, "vfr.mp4"), manifest, 35.0)
    # cut 2 spans the change of rate at plate frame 50: its duration is exact
    assert Fraction(manifest.cuts[1].duration) == Fraction(10, 24) + Fraction(30, 30)


@pytest.mark.slow
def test_image_sequence_is_copied_and_renumbered_from_head_in(split_plate: SplitRunner) -> None:
    spec = SUITE["sequence_1001"]
    out, manifest, truth = split_plate(file_name("sequence_1001", spec), spec, head_in=1001)
    assert manifest.plate.kind == "sequence" and manifest.plate.first_frame_number == 1001
    plate_dir = _plate_path(out, "sequence_1001.1001.png").parent
    for cut in manifest.cuts:
        assert cut.media is not None and cut.head_in == 1001
        files = sorted((out / cut.media.path).parent.iterdir())
        assert [f.name for f in files] == [f"{cut.name}.{1001 + i:04d}.png"
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
    out, manifest, _ = split_plate("exr.%04d.exr", EXR, head_in=101)
    assert manifest.plate.codec == "exr" and manifest.plate.bit_depth == 32
    assert [c.frame_count for c in manifest.cuts] == [6, 6]
    cut = manifest.cuts[1]
    assert cut.media is not None and cut.media.path == f"cuts/{cut.name}/{cut.name}.%04d.exr"
    assert (out / f"cuts/{cut.name}/{cut.name}.0101.exr").exists()
    assert (cut.head_in, cut.head_out) == (101, 106)


def test_no_split_writes_description_only(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    out, manifest, _ = split_plate(file_name("different", spec), spec, split=False)
    assert not (out / "cuts").exists()
    assert all(c.media is None for c in manifest.cuts)
    assert (out / "contact_sheet.png").exists() and (out / "manifest.json").exists()
    assert manifest.split.enabled is False
