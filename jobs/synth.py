"""Synthetic plates generated with FFmpeg's lavfi sources, with their exact truth.

Used by ``make demo``, the test suite and the benchmarks: every cut, dissolve and
fade is placed by frame number, so the expected result is known exactly.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import ffmpeg

from jobs import ffmpeg_cli
from jobs.synth_burnin import BurnIn, BurnInStyle, record_filters, shot_filters
from jobs.timecode import FrameRate

# dip_black/dip_white: out to the colour and in from it over join_frames each (a fade is a dip to
# black); jump: the previous shot's take goes on, join_frames frames of it left out
JoinKind = Literal["cut", "dissolve", "fade", "dip_black", "dip_white", "jump"]
DIP_COLOURS = {"dip_black": "black", "dip_white": "white"}

SOURCES: dict[str, str] = {
    "bars": "smptehdbars", "testsrc": "testsrc2", "mandel": "mandelbrot",
    "cells": "cellauto", "life": "life", "rgb": "rgbtestsrc",
}

CODECS: dict[str, dict[str, Any]] = {
    "h264": {"vcodec": "libx264", "preset": "veryfast", "crf": 18, "pix_fmt": "yuv420p", "g": 48},
    "hevc": {"vcodec": "libx265", "preset": "ultrafast", "crf": 24, "pix_fmt": "yuv420p",
             "x265-params": "log-level=error"},
    # delivery-grade H.264: stronger compression, longer GOPs (the photographic plates)
    "h264_delivery": {"vcodec": "libx264", "preset": "fast", "crf": 24, "pix_fmt": "yuv420p", "g": 96},
    "prores": {"vcodec": "prores_ks", "profile:v": 3, "pix_fmt": "yuv422p10le"},
    "dnxhr": {"vcodec": "dnxhd", "profile:v": "dnxhr_hq", "pix_fmt": "yuv422p"},
    "png": {"vcodec": "png", "pix_fmt": "rgb24"},
    "tiff": {"vcodec": "tiff", "pix_fmt": "rgb24"},
    "dpx": {"vcodec": "dpx", "pix_fmt": "rgb48le"},
    "exr": {"vcodec": "exr", "pix_fmt": "gbrpf32le"},
}
SEQUENCE_CODECS = {"png", "tiff", "dpx", "exr"}


@dataclass(frozen=True)
class ShotSpec:
    """One shot: a lavfi source (a SOURCES key, ``color:0xRRGGBB`` or ``noise:0xRRGGBB``), or
    ``photo:NAME``, a still photograph of scikit-image's data folder (``photo:astronaut``) filling
    the plate; a photo shot's filters count frames from the start of its take (see ``take_offsets``)."""

    source: str
    frames: int
    # extra filters as (name, options), frame numbers relative to the shot
    filters: tuple[tuple[str, dict[str, Any]], ...] = ()
    join: JoinKind = "cut"  # how this shot joins the previous one
    join_frames: int = 0  # length of a dissolve (overlap) or of each half of a fade
    burnin: BurnIn | None = None  # text drawn on a band at the top of the shot


@dataclass(frozen=True)
class PlateSpec:
    shots: tuple[ShotSpec, ...]
    width: int = 320
    height: int = 180
    rate: FrameRate = FrameRate(24)
    codec: str = "h264"
    timecode: str | None = None
    audio: bool = False
    vfr_from_frame: int | None = None  # frames from here on are shown at vfr_rate
    vfr_rate: FrameRate = FrameRate(30)
    record_tc: str | None = None  # running record timecode burned in at the bottom
    burnin_style: BurnInStyle = BurnInStyle()
    seed: int = 1  # of the random sources (life, cells, noise): the same spec, the same plate


@dataclass
class PlateTruth:
    """What the generated plate holds: 0-based frame indices."""

    frame_count: int
    cut_starts: list[int] = field(default_factory=list)  # first frame of every shot but the first
    transitions: list[tuple[str, int, int]] = field(default_factory=list)  # kind, first, last


def truth_of(spec: PlateSpec) -> PlateTruth:
    """Every cut and transition of ``spec``. Transition kinds: ``dissolve``, ``fade``, ``dip``
    (to black or white and back), ``jump`` (first = last: a hard cut inside one take), and
    ``fade_in``/``fade_out`` (a shot's own ``fade`` filter, e.g. from black at the plate's head:
    no cut)."""
    pos = 0
    truth = PlateTruth(frame_count=0)
    offsets = take_offsets(spec)
    for i, shot in enumerate(spec.shots):
        if i:
            pos = _join_truth(shot, pos, truth)
        truth.transitions += _shot_fades(shot, pos, pos - offsets[i])
        pos += shot.frames
    truth.frame_count = pos
    return truth


def _join_truth(shot: ShotSpec, pos: int, truth: PlateTruth) -> int:
    """Record how ``shot`` joins the plate so far (``pos`` frames); returns where it starts."""
    n = shot.join_frames
    if shot.join == "dissolve":
        # xfade's first overlapped frame is still all outgoing shot
        first = pos - n + 1
        truth.transitions.append(("dissolve", first, pos - 1))
        truth.cut_starts.append(first + (n - 1) // 2)
        return pos - n
    if shot.join == "fade" or shot.join in DIP_COLOURS:
        # out over the last n frames (the first at full level), in from the colour (first frame all colour)
        truth.transitions.append(("fade" if shot.join == "fade" else "dip", pos - n + 1, pos + n - 1))
    elif shot.join == "jump":
        truth.transitions.append(("jump", pos, pos))
    truth.cut_starts.append(pos)
    return pos


def _shot_fades(shot: ShotSpec, start: int, take_start: int) -> list[tuple[str, int, int]]:
    """The frames of the shot (from plate frame ``start``) a ``fade`` filter of it changes, counted
    from ``take_start`` (its frame 0): fading in, from the all-black first frame on; fading out, to
    the first all-black frame. Fades outside the shot (elsewhere in a jump cut's take) are left out."""
    fades = []
    for name, options in shot.filters:
        if name != "fade":
            continue
        begin = take_start + int(options["start_frame"])
        end = begin + int(options["nb_frames"])
        fading_in = options.get("t", "in") == "in"
        first, last = (begin, end - 1) if fading_in else (begin + 1, end)
        if last >= start and first < start + shot.frames:
            fades.append(("fade_in" if fading_in else "fade_out", first, last))
    return fades


def take_offsets(spec: PlateSpec) -> list[int]:
    """Frame of its take each shot starts on: 0, but for a ``jump`` shot, the previous shot's
    offset and length plus the ``join_frames`` frames left out. A jump shot must repeat the previous
    shot's photo source and filters (the camera move), so that the take runs on."""
    offsets: list[int] = []
    for i, shot in enumerate(spec.shots):
        if shot.join != "jump" or not i:
            offsets.append(0)
            continue
        before = spec.shots[i - 1]
        if (shot.source, shot.filters) != (before.source, before.filters) or \
                not shot.source.startswith("photo:"):
            raise ValueError(f"shot {i}: a jump cut goes on with the previous shot's take: the same "
                             f"photo source and filters")
        offsets.append(offsets[-1] + before.frames + shot.join_frames)
    return offsets


# What a photo's path may hold: it goes unquoted into a lavfi graph
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./+-]+")
PHOTO_SUFFIXES = (".png", ".jpg")


def photo_path(name: str) -> Path:
    """The photograph ``name`` (``astronaut``, ``hubble_deep_field``) of scikit-image's data folder,
    found without importing skimage (its data functions would download with pooch)."""
    found = importlib.util.find_spec("skimage")
    if found is None or found.origin is None:
        raise RuntimeError("photo shots need scikit-image (the dev or bench extra)")
    folder = Path(found.origin).parent / "data"
    for suffix in PHOTO_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            if not _PLAIN_PATH.fullmatch(str(path)):
                raise ValueError(f"{path}: a photo's path may hold only letters, digits and _./+-")
            return path
    raise ValueError(f"no photograph {name!r} in {folder}")


def _photo_input(index: int, name: str, spec: PlateSpec) -> Any:
    """The photograph, scaled and cropped to fill the plate, repeated forever at the plate's rate."""
    w, h, rate = spec.width, spec.height, spec.rate
    graph = (f"movie=filename={photo_path(name)},"
             f"scale=w={w}:h={h}:force_original_aspect_ratio=increase,crop=w={w}:h={h},format=yuv444p,"
             f"loop=loop=-1:size=1,settb=AVTB,setpts=N/({rate})/TB,fps={rate},"
             f"setpts=PTS+0*{index}")  # the index keeps two shots of one photo apart
    return ffmpeg.input(graph, f="lavfi")


def _photo_stream(index: int, shot: ShotSpec, spec: PlateSpec) -> Any:
    """A photo shot: its filters (the camera move) run from the start of the take, then the shot's
    frames are taken from its offset (a jump shot's take is the previous shot's, frames left out)."""
    stream = _photo_input(index, shot.source.partition(":")[2], spec)
    for filter_name, options in shot.filters:
        stream = stream.filter(filter_name, **options)
    offset = take_offsets(spec)[index]
    stream = stream.filter("trim", start_frame=offset, end_frame=offset + shot.frames)
    stream = stream.filter("setpts", "PTS-STARTPTS").filter("format", "yuv444p")
    drawn = shot_filters(shot.burnin, spec.burnin_style, spec.height, spec.rate) \
        if shot.burnin else []
    for filter_name, options in drawn:
        stream = stream.filter(filter_name, **options)
    return stream.filter("setsar", 1).filter("settb", "AVTB")


def _shot_stream(index: int, shot: ShotSpec, spec: PlateSpec) -> Any:
    size = f"{spec.width}x{spec.height}"
    kind, _, arg = shot.source.partition(":")
    if kind == "photo":
        return _photo_stream(index, shot, spec)
    name = f"color=c={arg or 'gray'}" if kind in ("color", "noise") else SOURCES[kind]
    seed = spec.seed * 1000 + index
    if kind in ("life", "cells"):
        name = f"{name}=seed={seed}"
    # the shot's index in a no-op filter keeps two shots of one source apart
    sep = ":" if "=" in name else "="
    stream = ffmpeg.input(f"{name}{sep}s={size}:r={spec.rate},setpts=PTS+0*{index}", f="lavfi")
    if kind == "noise":
        stream = stream.filter("noise", alls=30, allf="t", all_seed=seed)
    warm_up = 12 if kind in ("life", "cells") else 0  # skip the random first generations
    stream = stream.filter("trim", start_frame=warm_up, end_frame=warm_up + shot.frames)
    stream = stream.filter("setpts", "PTS-STARTPTS").filter("format", "yuv444p")
    drawn = shot_filters(shot.burnin, spec.burnin_style, spec.height, spec.rate) \
        if shot.burnin else []
    for filter_name, options in [*shot.filters, *drawn]:
        stream = stream.filter(filter_name, **options)
    return stream.filter("setsar", 1).filter("settb", "AVTB")


def _join(streams: list[Any], spec: PlateSpec) -> Any:
    out = streams[0]
    frames = spec.shots[0].frames
    for shot, stream in zip(spec.shots[1:], streams[1:], strict=True):
        n = shot.join_frames
        if shot.join == "dissolve":
            offset = (frames - n) * spec.rate.frame_duration
            out = ffmpeg.filter([out, stream], "xfade", transition="fade",
                                duration=f"{float(n * spec.rate.frame_duration):.9f}",
                                offset=f"{float(offset):.9f}")
            frames += shot.frames - n
            continue
        if shot.join == "fade" or shot.join in DIP_COLOURS:
            colour = {"color": DIP_COLOURS[shot.join]} if shot.join in DIP_COLOURS else {}
            out = out.filter("fade", t="out", start_frame=frames - n, nb_frames=n, **colour)
            stream = stream.filter("fade", t="in", start_frame=0, nb_frames=n, **colour)
        out = ffmpeg.concat(out, stream, v=1, a=0).filter("settb", "AVTB")
        frames += shot.frames
    return out


def _vfr(stream: Any, spec: PlateSpec) -> Any:
    k = spec.vfr_from_frame
    if k is None:
        return stream
    # timestamps in 1/90000 s ticks, computed in whole numbers so every step is exact
    early, late = (90000 * r.frame_duration for r in (spec.rate, spec.vfr_rate))
    expr = f"floor(if(lt(N,{k}),N*{early},{k}*{early}+(N-{k})*{late})+0.5)"
    return stream.filter("settb", "1/90000").filter("setpts", expr)


def make_plate(spec: PlateSpec, out: Path) -> PlateTruth:
    """Render ``spec`` to ``out`` (a movie path, or ``name.%04d.ext`` for sequences)."""
    ffmpeg_cli.tool("ffmpeg")
    out.parent.mkdir(parents=True, exist_ok=True)
    video = _join([_shot_stream(i, s, spec) for i, s in enumerate(spec.shots)], spec)
    if spec.record_tc:
        for name, options in record_filters(spec.record_tc, spec.burnin_style, spec.height,
                                            spec.rate):
            video = video.filter(name, **options)
    video = _vfr(video, spec)
    truth = truth_of(spec)
    opts: dict[str, Any] = dict(CODECS[spec.codec])
    opts["frames:v"] = truth.frame_count
    streams = [video]
    if spec.codec in SEQUENCE_CODECS:
        opts["start_number"] = 1001
    else:
        if spec.timecode:
            opts["timecode"] = spec.timecode
        if spec.audio:
            seconds = float(truth.frame_count * spec.rate.frame_duration)
            streams.append(ffmpeg.input(f"sine=frequency=440:sample_rate=48000:d={seconds:.6f}",
                                        f="lavfi"))
            opts["acodec"] = "aac" if out.suffix in (".mp4", ".mkv") else "pcm_s16le"
            # -frames:v would end the audio early as well
            opts["t"] = f"{seconds:.6f}"
            del opts["frames:v"]
        if spec.vfr_from_frame is not None:
            opts.update({"fps_mode": "passthrough", "enc_time_base:v": "1/90000",
                         "video_track_timescale": 90000})
    cmd = ffmpeg.output(*streams, str(out), **opts).overwrite_output().global_args("-v", "error")
    ffmpeg_cli.run(cmd.compile(), f"generating {out.name}", bad_input=False)
    return truth


def _flash(at: int, frames: int = 2) -> tuple[tuple[str, dict[str, Any]], ...]:
    return (("eq", {"brightness": 0.45, "enable": f"between(n,{at},{at + frames - 1})"}),)


def demo_spec(width: int = 640, height: int = 360, codec: str = "h264",
              scale: int = 1, seed: int = 1) -> PlateSpec:
    """An edit reference: hard cuts, a flash, a dissolve, a fade, a low-contrast cut, and a
    restarted take that only its burned-in timecode tells apart; every shot named."""
    shots = (
        ShotSpec("mandel", 48 * scale),
        ShotSpec("testsrc", 40 * scale, filters=(("hflip", {}),)),
        ShotSpec("bars", 36 * scale, filters=_flash(12)),
        ShotSpec("life", 44 * scale, join="dissolve", join_frames=12),
        ShotSpec("noise:0x505a64", 30 * scale),
        ShotSpec("noise:0x5a6470", 30 * scale),
        ShotSpec("cells", 40 * scale, join="fade", join_frames=8),
        ShotSpec("rgb", 30 * scale),
        ShotSpec("rgb", 30 * scale),
    )
    takes = ["14:02:10:00", "09:41:00:12", "11:20:33:05", "17:00:00:00", "10:10:10:10",
             "10:12:00:00", "15:59:50:00", "12:00:00:00", "12:00:30:00"]
    named = tuple(replace(shot, burnin=BurnIn(f"SH{10 * (i // 2 + 1):03d}_{10 * (i % 2 + 1):04d}"
                                              if i < 8 else "SH040_0020", tc, 1001))
                  for i, (shot, tc) in enumerate(zip(shots, takes, strict=True)))
    return PlateSpec(shots=named, width=width, height=height, rate=FrameRate(24000, 1001),
                     codec=codec, timecode="01:00:00:00", audio=True, record_tc="01:00:00:00",
                     seed=seed)
