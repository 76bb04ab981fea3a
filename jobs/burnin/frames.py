"""Single full-resolution frames, fetched by seeking: only the frames OCR reads."""

from __future__ import annotations

import subprocess

import ffmpeg
import numpy as np
import numpy.typing as npt

from jobs import ffmpeg_cli
from jobs.decode import Timestamps
from jobs.errors import BadInputError
from jobs.manifest import PlateInfo
from jobs.source import PlateSource

RGB = npt.NDArray[np.uint8]


def grab_frame(source: PlateSource, info: PlateInfo, stamps: Timestamps, index: int) -> RGB:
    """Frame ``index`` (0-based, presentation order) as an RGB array, square pixels."""
    if source.kind == "sequence":
        inp = ffmpeg.input(str(source.frame_files[index]))
    else:
        inp = ffmpeg.input(str(source.path), ss=f"{float(stamps.seek_point(index)):.6f}")
    out = ffmpeg.output(inp["v:0"], "pipe:1", f="rawvideo", pix_fmt="rgb24",
                        **{"frames:v": 1})
    cmd = out.global_args("-v", "error", "-nostdin").compile()
    cmd[0] = ffmpeg_cli.tool("ffmpeg")
    proc = subprocess.run(cmd, capture_output=True, check=False)
    size = info.width * info.height * 3
    if proc.returncode != 0 or len(proc.stdout) < size:
        detail = ffmpeg_cli.last_error_line(proc.stderr.decode("utf-8", "replace"))
        raise BadInputError(f"{info.source}: frame {index} cannot be read: {detail}")
    return np.frombuffer(proc.stdout[:size], dtype=np.uint8).reshape(info.height, info.width, 3)
