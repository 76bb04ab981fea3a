"""Full-size frames for OCR: from the frame store the analysis pass wrote, else by seeking; and
whole pictures spread over the plate, before that pass, to find where the burn-ins are."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

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
SAMPLE_READERS = 2  # FFmpeg processes reading the pictures that find the bands, at once


class PlateFrames:
    """The frames burn-in reading asks for: whole frames to find where the burn-ins are,
    then only their regions. The frame store answers when it holds those pixels at full
    resolution; anything else is fetched by seeking in the plate."""

    def __init__(self, info: PlateInfo, seek: Grab, store: FrameStore | None = None) -> None:
        self._size, self._seek, self._store = (info.width, info.height), seek, store

    def for_regions(self, regions: list[Region]) -> Grab:
        """How to get frames whose ``regions`` must be exact, at full resolution."""
        rects = [r.pixels(*self._size) for r in regions]
        if self._store is not None and self._store.covers(rects):
            return self._store.strips_only
        return self._seek


def grab_frame(source: PlateSource, info: PlateInfo, stamps: Timestamps, index: int) -> RGB:
    """Frame ``index`` (0-based, presentation order) as an RGB array at stored size."""
    if source.kind == "sequence":
        inp = ffmpeg.input(str(source.frame_files[index]))
    else:
        inp = ffmpeg.input(str(source.path), ss=f"{float(stamps.seek_point(index)):.6f}")
    picture, error = _first_picture(inp, info)
    if picture is None:
        raise BadInputError(f"{info.source}: frame {index} cannot be read: {error}")
    return picture


def sample_pictures(source: PlateSource, info: PlateInfo, count: int) -> list[RGB]:
    """``count`` different whole pictures spread evenly over the plate, cheap to get: for a movie
    the keyframe at or before each point (nothing decoded up to an exact frame), or the exact
    frame where that keyframe was already taken; for a sequence the frame file. Fewer when the
    plate is too short to give ``count`` different ones, or where one cannot be read (the
    analysis pass then says what is wrong with the plate)."""
    shares = [Fraction(2 * i + 1, 2 * count) for i in range(count)]  # middles of equal parts
    movie = source.kind == "movie"
    with ThreadPoolExecutor(SAMPLE_READERS) as pool:  # each read is a process of its own
        first = list(pool.map(lambda share: _picture_at(source, info, share, keyframe=movie), shares))
    pictures: dict[str, RGB] = {}
    for share, picture in zip(shares, first, strict=True):
        key = _key(picture) if picture is not None else ""
        if key in pictures and movie:  # that keyframe is taken: the exact frame instead
            picture = _picture_at(source, info, share, keyframe=False)
            key = _key(picture) if picture is not None else ""
        if picture is not None:
            pictures.setdefault(key, picture)
    return list(pictures.values())


def _key(picture: RGB) -> str:
    return hashlib.sha1(picture.tobytes()).hexdigest()


def _picture_at(source: PlateSource, info: PlateInfo, share: Fraction,
                keyframe: bool) -> RGB | None:
    if source.kind == "sequence":
        index = min(info.frame_count - 1, int(share * info.frame_count))
        inp = ffmpeg.input(str(source.frame_files[index]))
    else:
        seconds = share * Fraction(info.duration)
        # one picture decodes alone: no decoder threads (frame threading would first fill its queue)
        args = {"noaccurate_seek": None, "threads": 1} if keyframe else {}
        inp = ffmpeg.input(str(source.path), ss=f"{float(seconds):.6f}", **args)
    return _first_picture(inp, info)[0]


def _first_picture(inp: Any, info: PlateInfo) -> tuple[RGB | None, str]:
    """The first picture FFmpeg gives from ``inp``, or None and FFmpeg's last error line."""
    # passthrough: the first decoded picture as it is (after a keyframe seek its time is before
    # the seek point, and FFmpeg's default frame-rate sync would drop it for a later one)
    out = ffmpeg.output(inp["v:0"], "pipe:1", f="rawvideo", pix_fmt="rgb24", fps_mode="passthrough",
                        **{"frames:v": 1})
    cmd = out.global_args("-v", "error", "-nostdin").compile()
    cmd[0] = ffmpeg_cli.tool("ffmpeg")
    proc = subprocess.run(cmd, capture_output=True, check=False)
    size = info.width * info.height * 3
    if proc.returncode != 0 or len(proc.stdout) < size:
        return None, ffmpeg_cli.last_error_line(proc.stderr.decode("utf-8", "replace"))
    return np.frombuffer(proc.stdout[:size], dtype=np.uint8).reshape(info.height, info.width, 3), ""
