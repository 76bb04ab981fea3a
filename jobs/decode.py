"""Stage 2, decode: one streaming FFmpeg pass that pipes small analysis frames.

FFmpeg decodes and scales down inside its own process; Python only ever sees
``analysis_width x analysis_height`` YUV 4:4:4 frames, read in fixed-size batches,
so memory stays flat whatever the plate length. Presentation timestamps come from
FFmpeg's ``showinfo`` filter on the same pass and are kept for every frame.
"""

from __future__ import annotations

import math
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import IO, Any

import ffmpeg
import numpy as np
import numpy.typing as npt

from jobs import ffmpeg_cli, hwdecode
from jobs.errors import BadInputError
from jobs.framestore import THUMB_WIDTH, FrameStore
from jobs.manifest import DecodePath, PlateInfo
from jobs.review import ReviewPlan
from jobs.source import PlateSource

_SHOWINFO = re.compile(rb"\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:")
_TIMEBASE = re.compile(rb"config in time_base:\s*(\d+)/(\d+)")

U8Array = npt.NDArray[np.uint8]


@dataclass
class Timestamps:
    """Presentation timestamps of every decoded frame, filled in as FFmpeg reports them."""

    time_base: Fraction = Fraction(1, 1)
    pts: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    hwaccel_refused: str | None = None  # FFmpeg's line when NVDEC turned the stream down

    def seconds(self, index: int) -> Fraction:
        """Presentation time of frame ``index``, counted from the plate's first frame."""
        return (self.pts[index] - self.pts[0]) * self.time_base

    def seek_point(self, index: int) -> Fraction:
        """A quarter frame before frame ``index``: an input seek there lands on the frame."""
        t = self.seconds(index)
        gaps = [self.seconds(index + 1) - t] if index + 1 < len(self.pts) else []
        if index > 0:
            gaps.append(t - self.seconds(index - 1))
        return max(Fraction(0), t - (min(gaps) if gaps else Fraction(1, 100)) / 4)


# A part's seek aims this long before its first frame, and the frames before that one are dropped by
# their timestamps: a demuxer's seek is not exact, the timestamps are (on an MPEG-TS plate FFmpeg's
# accurate seek dropped a second too many, and a seek can land after the keyframe it aimed for). Where
# the first frame is not the part's, the part is decoded again from further back, then from the start
SEEK_LEADS: tuple[Fraction | None, ...] = (Fraction(1), Fraction(10), None)  # None: no seek


class SeekMissed(Exception):
    """A part's seek landed after its first frame: decode it again from further back."""


@dataclass(frozen=True)
class FrameZero:
    """A movie's frame 0: its timestamp, as the plate has it (FFmpeg's ``-copyts``), and time base."""

    pts: int
    time_base: Fraction

    def before(self, index: int, duration: Fraction) -> int:
        """The timestamp half a frame before frame ``index`` (``duration``: one frame's)."""
        return self.pts + math.floor((index - Fraction(1, 2)) * duration / self.time_base)


def frame_zero(source: PlateSource) -> FrameZero:
    """Where the movie's frame 0 is (one frame decoded)."""
    args = ["ffmpeg", "-v", "info", "-nostdin", "-copyts", "-i", str(source.path), "-map", "0:v:0",
            "-frames:v", "1", "-vf", "showinfo", "-f", "null", "-"]
    said = ffmpeg_cli.run(args, f"reading {source.display_name}'s first frame").stderr
    pts, base = _SHOWINFO.search(said), _TIMEBASE.search(said)
    if pts is None or base is None:
        raise BadInputError(f"{source.display_name}: its first frame could not be decoded")
    return FrameZero(int(pts.group(2)), Fraction(int(base.group(1)), int(base.group(2))))


@dataclass(frozen=True)
class FrameSpan:
    """Frames ``first`` .. ``first + count - 1`` (0-based plate indices) of a plate: what one part of
    it decodes (:mod:`jobs.parts`); ``zero``: a movie's frame 0, where its part does not start there."""

    first: int
    count: int
    zero: FrameZero | None = None
    lead: Fraction | None = SEEK_LEADS[0]  # how far before its first frame a movie's seek aims

    def input_options(self, source: PlateSource, info: PlateInfo) -> dict[str, Any]:
        """Where the decode starts: a sequence's file number, or for a movie a seek to
        :data:`lead` before the frame's time (frame n at n frame durations from frame 0), the
        decoder starting on the keyframe before; :meth:`start_pts` drops the frames before it."""
        if self.first == 0:
            return {}
        if source.kind == "sequence":
            return {"start_number": (source.first_number or 0) + self.first}
        if self.lead is None:
            return {}
        duration = info.frame_rate.as_frame_rate().frame_duration
        aim = max(Fraction(0), self.first * duration - self.lead)
        return {"ss": f"{float(aim):.6f}", "noaccurate_seek": None}

    def check_landed(self, stamps: Timestamps, info: PlateInfo) -> None:
        """:class:`SeekMissed` unless the first frame decoded is the part's first."""
        start = self.start_pts(info)
        if start is None or not stamps.pts:
            return
        duration = info.frame_rate.as_frame_rate().frame_duration / stamps.time_base
        if stamps.pts[0] - start > duration:  # the first frame is half a frame after ``start``
            raise SeekMissed(f"frame {self.first} sought, the decoding began "
                             f"{float((stamps.pts[0] - start) / duration - Fraction(1, 2)):.1f} "
                             "frames later")

    def start_pts(self, info: PlateInfo) -> int | None:
        """A movie's timestamp the part's frames start after (None: nothing to drop)."""
        if self.first == 0 or self.zero is None:
            return None
        return self.zero.before(self.first, info.frame_rate.as_frame_rate().frame_duration)


@dataclass
class FrameBatch:
    start: int  # 0-based plate index of the first frame in the batch
    yuv: U8Array  # (n, 3, height, width)


def analysis_command(source: PlateSource, info: PlateInfo, width: int, height: int,
                     store: FrameStore | None = None, review: ReviewPlan | None = None,
                     path: DecodePath | None = None, span: FrameSpan | None = None,
                     written: FrameSpan | None = None) -> list[str]:
    """The FFmpeg command of the pass; with ``store`` it also writes the frame store, with
    ``review`` the review proxy and strip sheets; ``path`` names the decode device (CPU if None);
    ``span``: only those frames, with the plate's own timestamps, and of those only ``written``
    (the part's own frames, within ``span``) go to the store and the review files."""
    input_opts: dict[str, Any] = dict(source.input_args(info.frame_rate.as_frame_rate()))
    if path is not None:
        input_opts.update(hwdecode.input_options(path))
    if span is not None:
        input_opts.update(span.input_options(source, info))
    # every frame decoded whole: skipping H.264's deblocking filter (which runs inside the loop,
    # on the frames later ones are predicted from) lets the picture drift over a GOP until the next
    # keyframe resets it, a step in the mean picture a long-GOP delivery took for a cut
    stream = ffmpeg.input(str(source.path), **input_opts)["v:0"]
    if span is not None:
        start = span.start_pts(info)
        if start is not None:
            stream = stream.trim(start_pts=start)
        stream = stream.trim(end_frame=span.count)
    writers = _writers(store, review)
    kept: list[Any] = []
    if writers:
        branches = stream.split()
        stream = branches[0]
        for i, outputs in enumerate(writers, start=1):
            kept += outputs(_written_only(branches[i], span, written))
    stream = (stream.filter("scale", width, height, flags="area", threads=ffmpeg_cli.scale_threads())
              .filter("format", "yuv444p"))
    stream = stream.filter("showinfo")
    out = ffmpeg.output(stream, "pipe:1", f="rawvideo", pix_fmt="yuv444p", fps_mode="passthrough")
    if kept:
        out = ffmpeg.merge_outputs(out, *kept)
    quiet = ("-nostats", "-nostdin", "-v", "info")
    args: list[str] = out.global_args(*quiet, *(("-copyts",) if span else ())).compile()
    return args


def _written_only(branch: Any, span: FrameSpan | None, written: FrameSpan | None) -> Any:
    """The frames of ``branch`` (those of ``span``) that are ``written``'s."""
    if span is None or written is None:
        return branch
    skip = written.first - span.first
    return branch.trim(start_frame=skip, end_frame=skip + written.count)


Writer = Callable[[Any], list[Any]]  # FFmpeg outputs written from a branch of the decoded frames


def _writers(store: FrameStore | None, review: ReviewPlan | None) -> list[Writer]:
    """What the pass writes beside the analysis frames. With the review files on, the frame store's
    thumbnails are scaled from the proxy's pictures (already down to a few hundred lines, square
    pixels), not from the full picture a second time; the store then only needs the full picture
    for its burn-in rows."""
    if store is None or review is None or not review.feeds(THUMB_WIDTH):
        return [w.outputs for w in (store, review) if w is not None]
    held = store  # bound for the closures below
    writers: list[Writer] = [lambda stream: review.outputs(stream, held.thumbnail_output)]
    if held.strips:
        writers.append(lambda stream: held.outputs(stream, thumbnails=False))
    return writers


def decode_frames(source: PlateSource, info: PlateInfo, width: int, height: int,
                  stamps: Timestamps, batch: int = 256,
                  progress: Callable[[int], None] | None = None,
                  store: FrameStore | None = None,
                  review: ReviewPlan | None = None,
                  path: DecodePath | None = None,
                  span: FrameSpan | None = None,
                  written: FrameSpan | None = None) -> Iterator[FrameBatch]:
    """Yield batches of small frames (of ``span`` only, when given, writing the store and review
    files of ``written`` only); ``stamps`` is complete once the iterator is exhausted."""
    cmd = analysis_command(source, info, width, height, store, review, path, span, written)
    cmd[0] = ffmpeg_cli.tool("ffmpeg")
    frame_bytes = width * height * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=_read_showinfo, args=(proc.stderr, stamps), daemon=True)
    reader.start()
    first, expected = (span.first, span.count) if span else (0, info.frame_count)
    done, finished = 0, False
    try:
        while not finished:
            data = _read_exact(proc.stdout, frame_bytes * batch)
            finished = len(data) < frame_bytes * batch
            n = len(data) // frame_bytes
            if n:
                arr = np.frombuffer(data[: n * frame_bytes], dtype=np.uint8)
                yield FrameBatch(start=first + done, yuv=arr.reshape(n, 3, height, width))
                done += n
                if progress:
                    progress(done)
    finally:
        if not finished:
            proc.kill()
        code = proc.wait()
        reader.join()
    _check_complete(source, expected, stamps, done, code)
    if span is not None:
        span.check_landed(stamps, info)
    if span is not None and source.kind == "sequence":
        _number_from(stamps, span.first, info.frame_rate.as_frame_rate().frame_duration)


def _number_from(stamps: Timestamps, first: int, duration: Fraction) -> None:
    """A sequence's files are stamped from 0 wherever its reading starts: stamp them as from its
    first file, ``first`` frames earlier (the image demuxer's time base is one frame)."""
    offset = first * duration / stamps.time_base
    if offset.denominator != 1:
        raise RuntimeError(f"a sequence's frame {first} is not on its time base {stamps.time_base}")
    stamps.pts = [p + int(offset) for p in stamps.pts]


def _read_exact(pipe: IO[bytes], size: int) -> bytes:
    chunks, got = [], 0
    while got < size:
        chunk = pipe.read(size - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_showinfo(pipe: IO[bytes], stamps: Timestamps) -> None:
    for line in pipe:
        m = _SHOWINFO.search(line)
        if m:
            stamps.pts.append(int(m.group(2)))
            continue
        tb = _TIMEBASE.search(line)
        if tb:
            stamps.time_base = Fraction(int(tb.group(1)), int(tb.group(2)))
        elif hwdecode.HWACCEL_REFUSED.search(line):
            stamps.hwaccel_refused = line.decode("utf-8", "replace").strip()
        elif b"rror" in line or b"nvalid" in line:
            stamps.errors.append(line.decode("utf-8", "replace").strip())


def _check_complete(source: PlateSource, expected: int, stamps: Timestamps,
                    decoded: int, code: int) -> None:
    name = source.display_name
    if code != 0:
        detail = stamps.errors[-1] if stamps.errors else f"ffmpeg exited with {code}"
        raise BadInputError(f"{name}: decoding failed after {decoded} frames: {detail}")
    if decoded == 0:
        raise BadInputError(f"{name}: no frame could be decoded")
    if decoded < expected:
        raise BadInputError(f"{name}: truncated or damaged: decoded {decoded} of {expected} frames")
    if len(stamps.pts) != decoded:
        raise RuntimeError(f"timestamps for {len(stamps.pts)} frames but {decoded} decoded")
