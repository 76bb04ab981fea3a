"""Full-size frames for OCR: from the frame store the analysis pass wrote, else by seeking."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import ffmpeg
import numpy as np

from jobs import ffmpeg_cli
from jobs.burnin.regions import Region
from jobs.decode import Timestamps
from jobs.errors import BadInputError
from jobs.framestore import RGB, FrameStore
from jobs.manifest import PlateInfo
from jobs.source import PlateSource

Grab = Callable[[int], RGB]


class PlateFrames:
    """The frames burn-in reading asks for: whole frames to find where the burn-ins are,
    then only their regions. The frame store answers when it holds those pixels at full
    resolution; anything else is fetched by seeking in the plate."""

    def __init__(self, info: PlateInfo, seek: Grab, store: FrameStore | None = None) -> None:
        self._size, self._seek, self._store = (info.width, info.height), seek, store

    def whole(self, index: int) -> RGB:
        return self._store.whole(index) if self._store else self._seek(index)

    def for_regions(self, regions: list[Region]) -> Grab:
        """How to get frames whose ``regions`` must be exact, at full resolution."""
        rects = [r.pixels(*self._size) for r in regions]
        if self._store is not None and self._store.covers(rects):
            return self._store.strips_only
        return self._seek


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
