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


# --- plates whose every frame says its own number ------------------------------------------------

CODE_BITS = 10  # vertical stripes of a numbered plate: frames 0..1023 tell themselves apart


def _gray(n: int) -> int:
    return n ^ (n >> 1)


def _from_gray(g: int) -> int:
    n = 0
    while g:
        n ^= g
        g >>= 1
    return n


def numbered_plate(out: Path, frames: int, size: tuple[int, int], rate: str, *,
                   codec: list[str] | None = None, sar: str = "1/1", vfr_from: int | None = None,
                   ) -> None:
    """A plate of ``frames`` frames, each showing its own 0-based number: :data:`CODE_BITS`
    vertical stripes, stripe b white where bit b of the number's Gray code is set, black
    elsewhere. One frame differs from the next by one stripe (no cut anywhere), and a picture
    scaled, cropped to a tile or recompressed still reads back (:func:`frame_number`).

    ``vfr_from``: frames from there on are shown at 30 fps (90 kHz timestamps), the first ones
    at ``rate``. ``out`` may be an image sequence pattern (numbered from 1001)."""
    bit = "mod(floor(N/pow(2,X))+floor(N/pow(2,X+1)),2)"  # bit X of N's Gray code
    chain = [f"color=c=black:s={CODE_BITS}x2:r={rate}", "format=yuv444p",
             f"geq=lum='16+219*{bit}':cb=128:cr=128",
             f"scale={size[0]}:{size[1]}:flags=neighbor", f"setsar={sar}"]
    options = codec or ["-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-g", "48",
                        "-pix_fmt", "yuv420p"]
    if vfr_from is not None:
        num, _, den = rate.partition("/")
        early = 90000 * int(den or 1) // int(num)
        chain += ["settb=1/90000", f"setpts='if(lt(N,{vfr_from}),N*{early},"
                                   f"{vfr_from}*{early}+(N-{vfr_from})*3000)'"]
        options += ["-fps_mode", "passthrough", "-enc_time_base:v", "1/90000",
                    "-video_track_timescale", "90000"]
    if "%" in out.name:
        options += ["-start_number", "1001"]
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", ",".join(chain),
                    "-frames:v", str(frames), *options, str(out)], check=True)


def stripe_number(stripes: np.ndarray) -> int:
    """The frame number that :data:`CODE_BITS` mean stripe levels (0..255) spell."""
    assert stripes.shape == (CODE_BITS,)
    code = sum(1 << b for b, level in enumerate(stripes) if level > 128)
    return _from_gray(code)


def frame_numbers(path: Path | str, *input_args: str) -> list[int]:
    """The number every decoded frame of a :func:`numbered_plate` (or of a copy of it) shows,
    in presentation order."""
    cmd = ["ffmpeg", "-v", "error", *input_args, "-i", str(path), "-map", "0:v:0",
           "-fps_mode", "passthrough", "-vf", f"scale={CODE_BITS}:1:flags=area,format=gray",
           "-f", "rawvideo", "-"]
    raw = np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, np.uint8)
    return [stripe_number(row) for row in raw.reshape(-1, CODE_BITS)]


def stream_info(path: Path | str, entries: str) -> dict[str, str]:
    """ffprobe's ``stream=entries`` of the first video stream, as text."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          f"stream={entries}", "-of", "default=noprint_wrappers=1", str(path)],
                         capture_output=True, check=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
