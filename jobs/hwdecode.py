"""Which device decodes the analysis pass: NVDEC through FFmpeg's ``cuda`` hwaccel, or the CPU.

NVDEC decodes H.264, HEVC, AV1, VP9 and MPEG-2 bit for bit as the CPU decoders do (the
standards define the decoded picture exactly), so the analysis frames, and with them every cut,
are the same on both paths. The frames come back to system memory (no ``-hwaccel_output_format``)
and are scaled there, so the frame store and the review branches of the pass work unchanged.

The GPU path is taken only where it can work: the site allows it (``PLATECUT_DECODE_DEVICE``:
``auto``, the default, ``cuda`` or ``cpu``), FFmpeg can open a CUDA device, and NVDEC decodes the
plate's codec at its bit depth and chroma. Anything else decodes on the CPU, and the manifest
says which path ran and why. Should NVDEC still refuse a stream when the pass starts, FFmpeg
decodes it in software and the pass reports that too (:data:`HWACCEL_REFUSED`); should the
NVDEC pass fail, :func:`jobs.analyse.analyse` runs it again on the CPU (:func:`failed_path`).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from pathlib import Path

from jobs import ffmpeg_cli
from jobs.errors import UsageError
from jobs.manifest import DECODE_DEVICE_ENV as DEVICE_ENV
from jobs.manifest import DECODE_DEVICES as DEVICES
from jobs.manifest import DecodeDevice as Device
from jobs.manifest import DecodePath, PlateInfo

# what NVDEC decodes (NVIDIA's Video Codec SDK support matrix, Turing and later; 4:2:2 needs
# Blackwell and is left to the CPU), as FFmpeg names the codec and the decoded pixel format
NVDEC_FORMATS: dict[str, frozenset[str]] = {
    "h264": frozenset({"yuv420p", "yuvj420p"}),
    "hevc": frozenset({"yuv420p", "yuvj420p", "yuv420p10le", "yuv420p12le",
                       "yuv444p", "yuv444p10le", "yuv444p12le"}),
    "av1": frozenset({"yuv420p", "yuv420p10le"}),
    "vp9": frozenset({"yuv420p", "yuv420p10le", "yuv420p12le"}),
    "mpeg2video": frozenset({"yuv420p"}),
}
# FFmpeg's lines when NVDEC turns a stream down at the start and software decoding takes over
HWACCEL_REFUSED = re.compile(rb"Failed setup for format cuda|hwaccel initialisation returned error")
_DEVICE_CHECK_TIMEOUT_S = 30  # opening a CUDA context takes well under a second
DEVICE_NODES = Path("/dev")  # where the NVIDIA driver (or the container toolkit) puts nvidia0...


def requested_device() -> Device:
    """The site's choice from ``PLATECUT_DECODE_DEVICE``; unset means ``auto``."""
    value = os.environ.get(DEVICE_ENV, "auto").strip().lower() or "auto"
    for device in DEVICES:
        if value == device:
            return device
    raise UsageError(f"{DEVICE_ENV}={value!r} is not a decode device: use one of {', '.join(DEVICES)}")


def choose_decode_path(info: PlateInfo, requested: Device | None = None) -> DecodePath:
    """The device the analysis pass decodes on, and the reason in words."""
    wanted = requested or requested_device()
    if wanted == "cpu":
        return DecodePath(device="cpu", reason=f"{DEVICE_ENV}=cpu")
    refusal = nvdec_refusal(info)
    if refusal:
        return DecodePath(device="cpu", reason=refusal)
    if not has_gpu_nodes():
        return DecodePath(device="cpu", reason="no NVIDIA GPU on this node (no /dev/nvidia0...)")
    if not cuda_device_opens():
        return DecodePath(device="cpu", reason="no CUDA device could be opened (FFmpeg found no "
                          "NVIDIA driver, or the GPU is not usable)")
    return DecodePath(device="cuda", reason=f"NVDEC decodes {info.codec} {info.pix_fmt}"
                      + (f" ({DEVICE_ENV}=cuda)" if wanted == "cuda" else ""))


def nvdec_refusal(info: PlateInfo) -> str | None:
    """Why NVDEC cannot decode this plate, or None when it can."""
    if info.kind == "sequence":
        return f"an image sequence ({info.codec}) decodes on the CPU"
    formats = NVDEC_FORMATS.get(info.codec)
    if formats is None:
        return f"NVDEC has no {info.codec} decoder"
    if info.pix_fmt not in formats:
        return f"NVDEC does not decode {info.codec} in {info.pix_fmt}"
    return None


def has_gpu_nodes() -> bool:
    """True when the node shows an NVIDIA GPU: a free check that spares CPU nodes FFmpeg's."""
    return any(DEVICE_NODES.glob("nvidia[0-9]*"))


@functools.cache
def cuda_device_opens() -> bool:
    """True when FFmpeg has the ``cuda`` hwaccel and can open a CUDA device on this node."""
    cmd = [ffmpeg_cli.tool("ffmpeg"), "-v", "error", "-nostdin", "-init_hw_device", "cuda",
           "-f", "lavfi", "-i", "nullsrc=s=64x64:d=0.04", "-f", "null", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=_DEVICE_CHECK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def input_options(path: DecodePath) -> dict[str, str]:
    """FFmpeg input options of the path: NVDEC decodes, frames come back to system memory."""
    return {"hwaccel": "cuda"} if path.device == "cuda" else {}


def refused_path(line: str) -> DecodePath:
    """The path as it ran once FFmpeg said NVDEC refused the stream at the start of the pass."""
    return DecodePath(device="cpu", reason=f"NVDEC refused the stream ({line}); FFmpeg decoded "
                      "it in software")


def failed_path(message: str) -> DecodePath:
    """The path of the second pass, on the CPU, after the NVDEC pass failed with ``message``."""
    return DecodePath(device="cpu", reason=f"the NVDEC pass failed ({message}); decoded again "
                      "on the CPU")
