"""Probing: exact rates, counted frames, timecode, VFR, sequences, audio."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jobs.errors import BadInputError, InputMissingError
from jobs.probe import probe
from jobs.source import resolve_source
from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_suite import SUITE, file_name
from jobs.timecode import FrameRate
from tests.conftest import PlateMaker


def _probe(plates: PlateMaker, name: str):  # type: ignore[no-untyped-def]
    spec = SUITE[name]
    path, truth = plates(file_name(name, spec), spec)
    return probe(resolve_source(str(path))), truth


def test_prores_23976_with_timecode_and_audio(plates: PlateMaker) -> None:
    info, truth = _probe(plates, "r23976_audio")
    assert (info.container, info.codec, info.profile) == ("mov", "prores", "HQ")
    assert (info.frame_rate.num, info.frame_rate.den) == (24000, 1001)
    assert info.frame_count == truth.frame_count and not info.frame_count_counted
    assert (info.pix_fmt, info.bit_depth, info.pixel_aspect) == ("yuv422p10le", 10, "1:1")
    assert info.start_timecode == "01:00:00:00" and not info.drop_frame
    assert info.intra_only and not info.variable_frame_rate
    assert [(a.codec, a.channels, a.sample_rate) for a in info.audio] == [("pcm_s16le", 1, 48000)]
    assert info.duration == str(truth.frame_count * FrameRate(24000, 1001).frame_duration)


def test_drop_frame_timecode_is_recognised(plates: PlateMaker) -> None:
    info, _ = _probe(plates, "ntsc_drop_frame")
    assert str(info.frame_rate) == "30000/1001"
    assert info.start_timecode == "00:00:59;00" and info.drop_frame


def test_h264_is_long_gop(plates: PlateMaker) -> None:
    info, truth = _probe(plates, "different")
    assert (info.container, info.codec, info.intra_only) == ("mp4", "h264", False)
    assert info.frame_count == truth.frame_count and info.start_timecode is None


def test_variable_frame_rate_is_detected(plates: PlateMaker) -> None:
    info, truth = _probe(plates, "vfr")
    assert info.variable_frame_rate and info.frame_count == truth.frame_count
    assert str(info.frame_rate) == "30/1"  # the most common frame duration (70 of 120)


def test_image_sequence_first_frame_and_count(plates: PlateMaker) -> None:
    info, truth = _probe(plates, "sequence_1001")
    assert info.kind == "sequence" and info.first_frame_number == 1001
    assert info.source == "sequence_1001.%04d.png" and info.codec == "png"
    assert info.frame_count == truth.frame_count and info.intra_only


def test_sequence_given_as_hashes_or_one_frame(plates: PlateMaker) -> None:
    spec = SUITE["sequence_1001"]
    path, _ = plates(file_name("sequence_1001", spec), spec)
    folder = path.parent
    for text in (f"{folder}/sequence_1001.####.png", f"{folder}/sequence_1001.1005.png"):
        source = resolve_source(text)
        assert source.kind == "sequence" and source.first_number == 1001
        assert len(source.frame_files) == 60


def test_sequence_rate_is_taken_from_the_user(plates: PlateMaker) -> None:
    spec = SUITE["sequence_1001"]
    path, _ = plates(file_name("sequence_1001", spec), spec)
    info = probe(resolve_source(str(path), FrameRate(25)))
    assert str(info.frame_rate) == "25/1"


def test_mkv_frame_count_is_counted(plates: PlateMaker) -> None:
    spec = PlateSpec(shots=(ShotSpec("testsrc", 17),), codec="hevc")
    path, _ = plates("count.mkv", spec)
    info = probe(resolve_source(str(path)))
    assert info.container == "matroska" and info.codec == "hevc"
    assert info.frame_count == 17 and info.frame_count_counted


def test_sequence_with_a_gap_is_refused(tmp_path: Path) -> None:
    for n in (1001, 1002, 1004):
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=s=32x32", "-frames:v",
                        "1", str(tmp_path / f"gap.{n}.png")], check=True)
    with pytest.raises(BadInputError, match="missing 1 frames \\(1003\\)"):
        resolve_source(str(tmp_path / "gap.%04d.png"))


def test_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputMissingError):
        resolve_source(str(tmp_path / "nope.mov"))
    with pytest.raises(InputMissingError):
        resolve_source(str(tmp_path / "nope.%04d.exr"))


@pytest.mark.parametrize(("codec", "ext", "depth"), [("dpx", "dpx", 16), ("tiff", "tif", 8)])
def test_dpx_and_tiff_sequences(plates: PlateMaker, codec: str, ext: str, depth: int) -> None:
    spec = PlateSpec(shots=(ShotSpec("testsrc", 4),), width=64, height=36, codec=codec)
    path, _ = plates(f"still_{codec}.%04d.{ext}", spec)
    info = probe(resolve_source(str(path)))
    assert (info.codec, info.bit_depth, info.frame_count) == (codec, depth, 4)
    assert info.first_frame_number == 1001 and info.kind == "sequence"
