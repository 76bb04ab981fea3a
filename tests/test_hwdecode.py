"""The analysis pass's decode device: NVDEC where it can work, the CPU otherwise, and why.

This machine has no GPU, so the GPU path is checked through its FFmpeg command line and the
fallback; bench/gpu_check.sh runs both paths on a machine with one.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from jobs import hwdecode
from jobs.analyse import analyse
from jobs.decode import Timestamps, _read_showinfo, analysis_command
from jobs.errors import ExitCode, UsageError
from jobs.manifest import DecodePath, DetectorSettings, PlateInfo
from jobs.probe import probe
from jobs.source import resolve_source
from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_suite import SUITE, file_name
from tests.conftest import PlateMaker, SplitRunner
from tests.test_cli import assert_user_error, platecut

TWO_SHOTS = PlateSpec(shots=(ShotSpec("testsrc", 12), ShotSpec("mandel", 12)), width=160, height=90)
CUDA = DecodePath(device="cuda", reason="NVDEC decodes h264 yuv420p")
NO_GPU_HERE = not hwdecode.has_gpu_nodes()


def _info(plates: PlateMaker) -> tuple[str, PlateInfo]:
    path, _ = plates("hw_two_shots.mp4", TWO_SHOTS)
    return str(path), probe(resolve_source(str(path)))


def _with(info: PlateInfo, **fields: object) -> PlateInfo:
    return info.model_copy(update=fields)


@pytest.mark.parametrize("value, device", [("", "auto"), ("auto", "auto"), (" CUDA ", "cuda"),
                                           ("cpu", "cpu")])
def test_the_site_chooses_the_device(monkeypatch: pytest.MonkeyPatch, value: str, device: str) -> None:
    monkeypatch.setenv(hwdecode.DEVICE_ENV, value)
    assert hwdecode.requested_device() == device


def test_an_unknown_device_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hwdecode.DEVICE_ENV, "nvdec")
    with pytest.raises(UsageError, match=r"PLATECUT_DECODE_DEVICE='nvdec' is not a decode device: "
                                         r"use one of auto, cuda, cpu"):
        hwdecode.requested_device()


def test_what_nvdec_cannot_decode_stays_on_the_cpu(plates: PlateMaker) -> None:
    _, info = _info(plates)
    assert hwdecode.nvdec_refusal(info) is None  # H.264 8-bit 4:2:0
    assert hwdecode.nvdec_refusal(_with(info, codec="prores", pix_fmt="yuv422p10le")) == \
        "NVDEC has no prores decoder"
    assert hwdecode.nvdec_refusal(_with(info, pix_fmt="yuv422p10le")) == \
        "NVDEC does not decode h264 in yuv422p10le"
    assert hwdecode.nvdec_refusal(_with(info, kind="sequence", codec="dpx")) == \
        "an image sequence (dpx) decodes on the CPU"
    assert hwdecode.nvdec_refusal(_with(info, codec="hevc", pix_fmt="yuv420p10le")) is None
    path = hwdecode.choose_decode_path(_with(info, codec="prores", pix_fmt="yuv422p10le"), "cuda")
    assert path == DecodePath(device="cpu", reason="NVDEC has no prores decoder")


def test_the_site_can_keep_decoding_on_the_cpu(plates: PlateMaker) -> None:
    _, info = _info(plates)
    assert hwdecode.choose_decode_path(info, "cpu") == \
        DecodePath(device="cpu", reason="PLATECUT_DECODE_DEVICE=cpu")


@pytest.mark.skipif(not NO_GPU_HERE, reason="a GPU is visible: bench/gpu_check.sh covers that path")
@pytest.mark.parametrize("requested", ["auto", "cuda"])
def test_without_a_gpu_the_pass_falls_back_and_says_why(plates: PlateMaker, requested: str) -> None:
    _, info = _info(plates)
    assert not hwdecode.cuda_device_opens()  # FFmpeg agrees
    path = hwdecode.choose_decode_path(info, requested)  # type: ignore[arg-type]
    assert path == DecodePath(device="cpu", reason="no NVIDIA GPU on this node (no /dev/nvidia0...)")


def test_a_gpu_node_whose_gpu_ffmpeg_cannot_open_decodes_on_the_cpu(
        plates: PlateMaker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _, info = _info(plates)
    (tmp_path / "nvidia0").touch()  # a device node, but no driver FFmpeg can load here
    monkeypatch.setattr(hwdecode, "DEVICE_NODES", tmp_path)
    assert hwdecode.has_gpu_nodes()
    if hwdecode.cuda_device_opens():
        pytest.skip("FFmpeg opens a CUDA device here")
    path = hwdecode.choose_decode_path(info, "auto")
    assert path.device == "cpu" and path.reason.startswith("no CUDA device could be opened")


def test_the_cuda_pass_asks_ffmpeg_for_nvdec_before_the_input(plates: PlateMaker) -> None:
    plate, info = _info(plates)
    source = resolve_source(plate)
    cpu = analysis_command(source, info, 64, 36)
    gpu = analysis_command(source, info, 64, 36, path=CUDA)
    assert "-hwaccel" not in cpu and "-hwaccel_output_format" not in gpu
    at = gpu.index("-hwaccel")
    assert gpu[at + 1] == "cuda" and at < gpu.index("-i")
    assert [a for a in gpu if a not in ("-hwaccel", "cuda")] == cpu  # nothing else changes


@pytest.mark.skipif(not NO_GPU_HERE, reason="a GPU is visible: bench/gpu_check.sh covers that path")
def test_ffmpeg_takes_the_cuda_command_and_asks_for_the_device(plates: PlateMaker) -> None:
    plate, info = _info(plates)
    cmd = analysis_command(resolve_source(plate), info, 64, 36, path=CUDA)
    proc = subprocess.run(cmd, capture_output=True, check=False)
    assert b"device type cuda needed for codec h264" in proc.stderr  # parsed, then no device


def test_a_stream_nvdec_refuses_is_reported_as_decoded_on_the_cpu() -> None:
    stamps = Timestamps()
    log = (b"[h264 @ 0x1] Failed setup for format cuda: hwaccel initialisation returned error.\n"
           b"[Parsed_showinfo_2 @ 0x2] n:   0 pts:      0 pts_time:0\n")
    _read_showinfo(io.BytesIO(log), stamps)
    assert stamps.pts == [0]
    assert stamps.hwaccel_refused is not None
    path = hwdecode.refused_path(stamps.hwaccel_refused)
    assert path.device == "cpu" and path.reason.startswith("NVDEC refused the stream ([h264 @ 0x1] "
                                                           "Failed setup for format cuda")


def test_the_analysis_reports_the_path_it_ran(plates: PlateMaker,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    plate, info = _info(plates)
    monkeypatch.setenv(hwdecode.DEVICE_ENV, "cpu")
    found = analyse(resolve_source(plate), info, DetectorSettings())
    assert found.decode_path == DecodePath(device="cpu", reason="PLATECUT_DECODE_DEVICE=cpu")
    assert [b.frame for b in found.detection.boundaries] == [12]


@pytest.mark.skipif(not NO_GPU_HERE, reason="a GPU is visible: bench/gpu_check.sh covers that path")
def test_the_manifest_says_which_device_decoded(split_plate: SplitRunner) -> None:
    spec = SUITE["different"]
    _, manifest, _ = split_plate(file_name("different", spec), spec, split=False, ocr=None)
    assert manifest.software.decode is not None
    assert manifest.software.decode.device == "cpu"
    assert manifest.software.decode.reason == "no NVIDIA GPU on this node (no /dev/nvidia0...)"


@pytest.mark.skipif(not NO_GPU_HERE, reason="a GPU is visible: bench/gpu_check.sh covers that path")
def test_a_pass_that_fails_on_the_gpu_runs_again_on_the_cpu(plates: PlateMaker) -> None:
    plate, info = _info(plates)
    found = analyse(resolve_source(plate), info, DetectorSettings(), path=CUDA)  # no device here
    assert [b.frame for b in found.detection.boundaries] == [12]
    assert len(found.stamps.pts) == 24  # one pass's stamps, not two
    assert found.decode_path.device == "cpu"
    assert found.decode_path.reason.startswith("the NVDEC pass failed (hw_two_shots.mp4: decoding "
                                               "failed after 0 frames")
    assert found.decode_path.reason.endswith("decoded again on the CPU")


def test_a_wrong_decode_device_stops_the_split_with_a_usage_error(
        plates: PlateMaker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plate, _ = _info(plates)
    monkeypatch.setenv(hwdecode.DEVICE_ENV, "gpu")
    out = tmp_path / "out"
    result = platecut("split", plate, "-o", str(out), "--no-ocr")
    assert_user_error(result, ExitCode.USAGE, "PLATECUT_DECODE_DEVICE='gpu' is not a decode device")
    assert not out.exists()  # nothing half-written
