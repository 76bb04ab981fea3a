"""Test helpers that look at media with FFmpeg directly, independently of platecut."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np


def frame_hashes(path: Path | str, *input_args: str) -> list[str]:
    """MD5 of every decoded frame (no frame dropped or duplicated)."""
    cmd = ["ffmpeg", "-v", "error", *input_args, "-i", str(path), "-map", "0:v:0",
           "-fps_mode", "passthrough", "-f", "framemd5", "-"]
    out = subprocess.run(cmd, capture_output=True, check=True, text=True).stdout
    return [line.split(",")[-1].strip() for line in out.splitlines()
            if line and not line.startswith("#")]


def counted_frames(path: Path | str) -> int:
    """ffprobe -count_frames: frames actually decoded from the file."""
    cmd = ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
           "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)]
    return int(subprocess.run(cmd, capture_output=True, check=True, text=True).stdout.strip())


def frame_pixels(path: Path | str, index: int, *input_args: str) -> np.ndarray:
    """Frame ``index`` (decode order) as 8-bit YUV 4:2:0 planes (the test plates' format),
    whatever the file's own format: a re-encode is compared in the plate's colour space."""
    probe = subprocess.run(["ffprobe", "-v", "error", *input_args, "-select_streams", "v:0",
                            "-show_entries", "stream=width,height", "-of", "csv=p=0", str(path)],
                           capture_output=True, check=True, text=True).stdout.strip()
    width, height = (int(x) for x in probe.split(",")[:2])
    cmd = ["ffmpeg", "-v", "error", *input_args, "-i", str(path), "-map", "0:v:0",
           "-fps_mode", "passthrough", "-vf", f"select=eq(n\\,{index})", "-frames:v", "1",
           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    assert len(raw) == width * height * 3 // 2, f"frame {index} of {path} not decoded"
    return np.frombuffer(raw, dtype=np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))
