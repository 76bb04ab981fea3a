"""Running the FFmpeg tools: one place that finds them and turns failures into errors."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from jobs.errors import BadInputError, ToolMissingError

# swscale's slice threads (``scale=...:threads=N``, FFmpeg 5.0 and later; the same pixels as one
# thread, checked frame by frame). FFmpeg 5.1 runs the whole filter graph in one thread, so the
# pass's full-resolution scales run one after another there; where decoding is cheap (DPX, EXR)
# that thread is the bottleneck. Capped: each of the pass's scales gets its own threads.
MAX_SCALE_THREADS = 4


def scale_threads() -> int:
    """Slice threads for one full-resolution scale: this process's cores, at most
    :data:`MAX_SCALE_THREADS`."""
    return max(1, min(MAX_SCALE_THREADS, len(os.sched_getaffinity(0))))


def tool(name: str) -> str:
    """Absolute path of ``ffmpeg`` or ``ffprobe``, or a clear error."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(f"{name} is not installed or not on PATH (Debian: apt-get install ffmpeg)")
    return path


def run(args: Sequence[str], what: str, *, bad_input: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run a tool to completion; a non-zero exit becomes an error naming ``what``."""
    cmd = [tool(args[0]), *args[1:]]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        detail = last_error_line(proc.stderr.decode("utf-8", "replace"))
        message = f"{what} failed: {detail}"
        if bad_input:
            raise BadInputError(message)
        raise RuntimeError(message)
    return proc


def last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "no error message"


def probe_json(args: Sequence[str], what: str) -> dict[str, Any]:
    proc = run(["ffprobe", "-v", "error", "-of", "json", *args], what)
    data: dict[str, Any] = json.loads(proc.stdout or b"{}")
    return data


@functools.cache
def ffmpeg_version() -> str:
    out = run(["ffmpeg", "-version"], "ffmpeg -version", bad_input=False).stdout.decode()
    m = re.match(r"ffmpeg version (\S+)", out)
    return m.group(1) if m else "unknown"


@functools.cache
def intra_only_codecs() -> frozenset[str]:
    """Decoders FFmpeg itself flags as intra-frame only (ProRes, DNxHD, image codecs...)."""
    out = run(["ffprobe", "-hide_banner", "-codecs"], "ffprobe -codecs", bad_input=False).stdout
    names = set()
    for line in out.decode().splitlines():
        m = re.match(r"^\s([D.][E.])V([I.])[L.][S.]\s+(\S+)", line)
        if m and m.group(2) == "I":
            names.add(m.group(3))
    return frozenset(names)


@functools.cache
def pixel_format_depths() -> dict[str, int]:
    """Bits per component of every pixel format FFmpeg knows."""
    data = probe_json(["-show_pixel_formats"], "ffprobe -show_pixel_formats")
    depths: dict[str, int] = {}
    for fmt in data.get("pixel_formats", []):
        comps = fmt.get("components") or []
        bits = [int(c.get("bit_depth", 0)) for c in comps]
        depths[fmt["name"]] = max(bits) if bits else 0
    return depths
