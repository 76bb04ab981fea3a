"""Full-size frames for OCR: from the frame store the analysis pass wrote, else by seeking; and
whole pictures spread over the plate, before that pass, to find where the burn-ins are."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
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
from jobs.retention import LADDER_FRAMES
from jobs.source import PlateSource

Grab = Callable[[int], RGB]
Keep = Callable[[RGB], RGB]  # what of a fetched frame is kept (a frame at a time, not all at once)
GrabRun = Callable[[int, int, Keep], list[RGB]]  # (first, count, keep): frames first to first + count - 1
SAMPLE_READERS = 2  # FFmpeg processes reading the pictures that find the bands, at once


class PlateFrames:
    """The frames burn-in reading asks for: whole frames to find where the burn-ins are,
    then only their regions. The frame store answers when it holds those pixels at full
    resolution; anything else is fetched from the plate: a single frame by seeking, and a
    frame the store let go of (:mod:`jobs.retention`) with the rest of its ladder step, in
    one decode, since a bisection's last steps and the misread checks around a cut ask for
    its neighbours next."""

    def __init__(self, info: PlateInfo, seek: Grab, store: FrameStore | None = None,
                 run: GrabRun | None = None) -> None:
        self._size, self._seek, self._store = (info.width, info.height), seek, store
        self._run = run or (lambda first, count, keep: [keep(seek(i)) for i in range(first, first + count)])
        self._step_first = -1  # the ladder step fetched last, and its frames' kept rows
        self._step_rows: list[RGB] = []

    def for_regions(self, regions: list[Region]) -> Grab:
        """How to get frames whose ``regions`` must be exact, at full resolution."""
        rects = [r.pixels(*self._size) for r in regions]
        store = self._store
        if store is None or not store.covers(rects):
            return self._seek

        def stored_else_fetched(index: int) -> RGB:
            return store.strips_only(index) if store.holds_strip(index) else self._let_go(store, index)
        return stored_else_fetched

    def pivot(self, lo: int, hi: int) -> int:
        """Where a bisection between frames ``lo`` and ``hi`` reads next: the middle, or where
        the store let the middle go, the nearest frame between them that it kept."""
        middle = (lo + hi) // 2
        store = self._store
        if store is None or not store.strips or store.holds_strip(middle):
            return middle
        below = middle - middle % LADDER_FRAMES
        for candidate in sorted((below, below + LADDER_FRAMES), key=lambda f: abs(f - middle)):
            if lo < candidate < hi and store.holds_strip(candidate):
                return candidate
        return middle

    def _let_go(self, store: FrameStore, index: int) -> RGB:
        first = index - index % LADDER_FRAMES
        if first != self._step_first:
            self._step_rows = self._run(first, LADDER_FRAMES, store.kept_rows)
            self._step_first = first
        if index - first >= len(self._step_rows):  # past what the plate gave
            return self._seek(index)
        return store.with_kept_rows(self._step_rows[index - first])


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


def grab_run(source: PlateSource, info: PlateInfo, stamps: Timestamps, first: int,
             count: int, keep: Keep | None = None) -> list[RGB]:
    """Frames ``first`` to ``first + count - 1`` (fewer at the plate's end) in one decode, each
    passed through ``keep`` as it comes, so only what is kept is held."""
    count = min(count, len(stamps.pts) - first)
    if source.kind == "sequence":
        frames = (grab_frame(source, info, stamps, i) for i in range(first, first + count))
        return [keep(f) if keep else f for f in frames]
    inp = ffmpeg.input(str(source.path), ss=f"{float(stamps.seek_point(first)):.6f}")
    return _pictures(inp, info, count, keep)[0]


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
    pictures, error = _pictures(inp, info, 1)
    return (pictures[0] if pictures else None), error


def _pictures(inp: Any, info: PlateInfo, count: int,
              keep: Keep | None = None) -> tuple[list[RGB], str]:
    """The first ``count`` pictures FFmpeg gives from ``inp``, each passed through ``keep`` as it
    is read, or none and FFmpeg's last error line when it failed."""
    # passthrough: the first decoded picture as it is (after a keyframe seek its time is before
    # the seek point, and FFmpeg's default frame-rate sync would drop it for a later one)
    out = ffmpeg.output(inp["v:0"], "pipe:1", f="rawvideo", pix_fmt="rgb24", fps_mode="passthrough",
                        **{"frames:v": count})
    cmd = out.global_args("-v", "error", "-nostdin").compile()
    cmd[0] = ffmpeg_cli.tool("ffmpeg")
    size = info.width * info.height * 3
    pictures: list[RGB] = []
    with tempfile.TemporaryFile() as errors, subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                             stderr=errors) as proc:
        assert proc.stdout is not None
        while len(pictures) < count and len(data := proc.stdout.read(size)) == size:
            picture = np.frombuffer(data, dtype=np.uint8).reshape(info.height, info.width, 3)
            pictures.append(keep(picture) if keep else picture)
        proc.stdout.close()
        failed = proc.wait() != 0 or not pictures
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace")
    if failed:
        return [], ffmpeg_cli.last_error_line(message)
    return pictures, ""
