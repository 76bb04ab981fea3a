"""Photographic plates: real photographs (scikit-image's data folder) moved like footage.

The synthetic suite (``jobs.synth_suite``) cuts between lavfi test patterns; these plates cut
between photographs with camera moves, grain, letterboxes and delivery-grade compression, and
hold the cases a detector tuned on patterns misses: cross dissolves, dips to black and white,
jump cuts inside one take, whip pans, flashes and strobes, low-contrast cuts, fades at a
plate's head and tail. Every shot is a ``photo:NAME`` source of :mod:`jobs.synth`, so each
plate's truth is exact (:func:`jobs.synth.truth_of`).

Camera moves are filters on the photograph filling the plate. Their frame numbers (``n``) count
from the start of the take, so a ``jump`` shot that repeats the previous shot's source and move
runs on with the same take, frames left out (:func:`jobs.synth.take_offsets`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from jobs.synth import JoinKind, PlateSpec, ShotSpec
from jobs.timecode import FrameRate

Filters = tuple[tuple[str, dict[str, Any]], ...]
Size = tuple[int, int]

SMALL: Size = (640, 360)
LARGE: Size = (960, 540)
SCOPE = 2.39  # width over height of a letterboxed picture (inside 16:9)
ACADEMY = 4 / 3  # width over height of a pillarboxed picture

# Handheld shake: (share of the amplitude, radians per frame) of the sines summed per axis; the
# vertical shake is this share of the horizontal one
_SHAKE_X = ((0.6, 0.13), (0.3, 0.41), (0.1, 1.37))
_SHAKE_Y = ((0.6, 0.17), (0.3, 0.53), (0.1, 1.11))
_SHAKE_VERTICAL = 0.7
_SHAKE_SPARE = 4  # pixels of picture beyond the shake's amplitude on either side
# scale to spare beyond what a move needs, so that no rounding lets a crop run off the picture
_SPARE = 0.01
_ZOOM_OVERSAMPLE = 2  # zoompan crops on whole pixels: zooming over a larger picture steadies it
# horizontal smear (box radius) of a whip pan frame, per pixel of motion a frame: a 180-degree
# shutter smears half the motion, a radius half that
_WHIP_SMEAR = 0.25
_FLASH_WHITE = 0.85  # opacity of the white over a flash frame
_STROBE_BRIGHTNESS = 0.5  # eq brightness added on a strobe frame


def _even(value: float) -> int:
    return 2 * math.ceil(value / 2)


def _enlarged(size: Size, factor: float) -> Filters:
    """The filled picture scaled up by ``factor`` (even sizes), so that a crop of ``size`` can move."""
    width, height = size
    return (("scale", {"w": _even(width * factor), "h": _even(height * factor)}),)


def _crop(size: Size, x: str, y: str) -> Filters:
    return (("crop", {"w": size[0], "h": size[1], "x": x, "y": y}),)


def slow_pan(size: Size, frames: int, speed: int = 1, tilt: int = 0, right: bool = True) -> Filters:
    """A steady pan of ``speed`` pixels a frame (and ``tilt`` up, or down when negative) over
    ``frames`` frames of the take, across the photograph scaled up just enough. Whole pixels: the
    crop moves alike on every frame (a fractional speed would step 1, 2, 1, 2...)."""
    width, height = size
    factor = max(1 + speed * frames / width, 1 + abs(tilt) * frames / height) + _SPARE
    start = "0" if right else "iw-ow"
    sign = "+" if right else "-"
    y = f"(ih-oh)/2+{tilt}*({frames}/2-n)" if tilt else "(ih-oh)/2"
    return _enlarged(size, factor) + _crop(size, f"clip({start}{sign}{speed}*n,0,iw-ow)",
                                           f"clip({y},0,ih-oh)")


def drift(size: Size, period: int, amplitude: float = 0.12) -> Filters:
    """A slow back-and-forth pan: ``amplitude`` of the width either way, once every ``period`` frames
    (a long take that never stops moving)."""
    factor = 1 + 2 * amplitude + _SPARE
    x = f"(iw-ow)/2*(1-cos(2*PI*n/{period}))"
    return _enlarged(size, factor) + _crop(size, f"clip({x},0,iw-ow)", "(ih-oh)/2")


def slow_zoom(size: Size, rate: FrameRate, per_frame: float = 0.002, start: float = 1.0) -> Filters:
    """A centred zoom in (``per_frame`` > 0) or out from ``start`` (zoompan, over an oversampled
    picture so that its whole-pixel crops do not shake)."""
    width, height = size
    zoom = f"max(1,{start}+{per_frame}*on)"
    zoompan = ("zoompan", {"z": zoom, "x": "iw/2-iw/zoom/2", "y": "ih/2-ih/zoom/2", "d": 1,
                           "s": f"{width}x{height}", "fps": str(rate)})
    return (*_enlarged(size, _ZOOM_OVERSAMPLE), zoompan)


def framed(size: Size, zoom: float, centre_x: float = 0.5, centre_y: float = 0.5) -> Filters:
    """The photograph zoomed in ``zoom`` times, framed around (centre_x, centre_y) (0..1): a still
    camera set up differently on the same scene."""
    x = f"{centre_x}*(iw-ow)"
    y = f"{centre_y}*(ih-oh)"
    return _enlarged(size, zoom) + _crop(size, x, y)


def _shake(axis: tuple[tuple[float, float], ...], amplitude: float, phase: float) -> str:
    return "+".join(f"{share * amplitude:.3f}*sin({speed}*n+{phase + k:.3f})"
                    for k, (share, speed) in enumerate(axis))


def handheld(size: Size, amplitude: float = 5.0, phase: float = 0.0) -> Filters:
    """Handheld shake: the frame wanders up to about ``amplitude`` pixels (sums of slow and quick
    sines of the frame number; ``phase`` sets one shot's shake apart from another's)."""
    width, height = size
    margin = 2 * (amplitude + _SHAKE_SPARE)
    factor = max((width + margin) / width, (height + margin) / height)
    x = f"(iw-ow)/2+{_shake(_SHAKE_X, amplitude, phase)}"
    y = f"(ih-oh)/2+{_shake(_SHAKE_Y, amplitude * _SHAKE_VERTICAL, phase + 0.5)}"
    return _enlarged(size, factor) + _crop(size, f"clip({x},0,iw-ow)", f"clip({y},0,ih-oh)")


def whip_pan(size: Size, at: int, frames: int = 4, travel: float = 1.5) -> Filters:
    """A whip pan: from frame ``at`` the camera swings ``travel`` picture widths in ``frames`` frames
    (eased in and out, blurred along the move), then holds on another part of the same scene."""
    width, _ = size
    distance = travel * width
    t = f"clip((n-{at})/{frames},0,1)"
    x = f"{distance:.1f}*{t}*{t}*(3-2*{t})"
    radius = round(_WHIP_SMEAR * 1.5 * distance / frames)  # the eased move's top speed: 1.5 times its mean
    smear = ("avgblur", {"sizeX": radius, "sizeY": 1, "enable": f"between(n,{at + 1},{at + frames - 1})"})
    return (*_enlarged(size, 1 + travel + _SPARE), *_crop(size, f"clip({x},0,iw-ow)", "(ih-oh)/2"), smear)


def grain(strength: int = 10, seed: int = 1) -> Filters:
    """Film grain: temporal noise on every plane, new on every frame."""
    return (("noise", {"alls": strength, "allf": "t", "all_seed": seed}),)


def dim(contrast: float = 0.35, brightness: float = -0.22, saturation: float = 0.5) -> Filters:
    """A dark, flat, muted picture (night, underexposed)."""
    return (("eq", {"contrast": contrast, "brightness": brightness, "saturation": saturation}),)


def _bars(above_and_below: bool, bar: int) -> Filters:
    """Two black bars ``bar`` pixels thick: above and below the picture, or left and right of it."""
    if above_and_below:
        boxes: list[tuple[object, object, object, object]] = [(0, 0, "iw", bar), (0, f"ih-{bar}", "iw", bar)]
    else:
        boxes = [(0, 0, bar, "ih"), (f"iw-{bar}", 0, bar, "ih")]
    return tuple(("drawbox", {"x": x, "y": y, "w": w, "h": h, "color": "black", "t": "fill"})
                 for x, y, w, h in boxes)


def letterbox(size: Size, aspect: float = SCOPE) -> Filters:
    """Black bars above and below: a ``aspect``:1 picture inside the plate."""
    width, height = size
    return _bars(True, round((height - width / aspect) / 2))


def pillarbox(size: Size, aspect: float = ACADEMY) -> Filters:
    """Black bars left and right: a ``aspect``:1 picture inside the plate."""
    width, height = size
    return _bars(False, round((width - height * aspect) / 2))


def white_flash(at: int, frames: int = 2) -> Filters:
    """A flash: ``frames`` frames from ``at`` nearly white."""
    return (("drawbox", {"x": 0, "y": 0, "w": "iw", "h": "ih", "color": f"white@{_FLASH_WHITE}",
                         "t": "fill", "enable": f"between(n,{at},{at + frames - 1})"}),)


def strobe(at: int, flashes: int, period: int = 2) -> Filters:
    """A strobe: ``flashes`` single bright frames, one every ``period`` frames from ``at``."""
    enable = "+".join(f"eq(n,{at + k * period})" for k in range(flashes))
    return (("eq", {"brightness": _STROBE_BRIGHTNESS, "enable": enable}),)


def fade_from_black(frames: int) -> Filters:
    """The take opens on black and fades up over ``frames`` frames (truth: ``fade_in``)."""
    return (("fade", {"t": "in", "start_frame": 0, "nb_frames": frames}),)


def fade_to_black(take_frames: int, frames: int) -> Filters:
    """The take's last ``frames`` frames fade down, its last frame all black (truth: ``fade_out``)."""
    return (("fade", {"t": "out", "start_frame": take_frames - frames - 1, "nb_frames": frames}),)


def jump(shot: ShotSpec, frames: int, skipped: int) -> ShotSpec:
    """The take of ``shot`` running on for ``frames`` frames after ``skipped`` frames left out."""
    return replace(shot, frames=frames, join="jump", join_frames=skipped, burnin=None)


def _photo(name: str, frames: int, *moves: Filters, join: JoinKind = "cut", join_frames: int = 0) -> ShotSpec:
    return ShotSpec(f"photo:{name}", frames, sum(moves, ()), join=join, join_frames=join_frames)


def _plate(size: Size, fps: int, codec: str, *shots: ShotSpec) -> PlateSpec:
    return PlateSpec(shots=shots, width=size[0], height=size[1], rate=FrameRate(fps), codec=codec)


R24, R25 = FrameRate(24), FrameRate(25)
DELIVERY = "h264_delivery"
# the takes cut into pieces by jump cuts (their moves run over the whole take, skipped frames included)
_PAN_TAKE = _photo("astronaut", 60, slow_pan(SMALL, 60 + 3 + 60 + 10 + 60 + 20 + 60, 2), grain(10, 11))
_ZOOM_TAKE = _photo("chelsea", 70, slow_zoom(LARGE, R25, 0.0015), handheld(LARGE, 4, 1.0), grain(9, 12))
_SHAKY_TAKE = _photo("coffee", 60, handheld(LARGE, 6, 2.0), grain(9, 13))
_REPORTED_TAKE = _photo("astronaut", 60, slow_pan(LARGE, 60 + 10 + 60, 2), grain(9, 14))

PHOTO_SUITE: dict[str, PlateSpec] = {
    # different photographs, every shot moving, grain
    "photo_hard_cuts": _plate(
        SMALL, 24, DELIVERY,
        _photo("astronaut", 64, slow_pan(SMALL, 64), grain(10, 1)),
        _photo("coffee", 52, handheld(SMALL, 5), grain(10, 2)),
        _photo("chelsea", 58, slow_zoom(SMALL, R24), grain(10, 3)),
        _photo("rocket", 46, grain(10, 4)),
        _photo("camera", 50, slow_pan(SMALL, 50, right=False), grain(10, 5)),
        _photo("ihc", 44, handheld(SMALL, 4, 2.0), grain(10, 6))),
    # a stereo pair (near the same picture), and one scene framed three ways
    "photo_similar_cuts": _plate(
        SMALL, 25, "prores",
        _photo("motorcycle_left", 50, handheld(SMALL, 3), grain(8, 1)),
        _photo("motorcycle_right", 46, handheld(SMALL, 3, 1.0), grain(8, 2)),
        _photo("motorcycle_left", 40, framed(SMALL, 1.25, 0.4, 0.5), grain(8, 3)),
        _photo("astronaut", 48, framed(SMALL, 1.0), grain(8, 4)),
        _photo("astronaut", 52, framed(SMALL, 1.5, 0.5, 0.2), grain(8, 5)),
        _photo("astronaut", 44, framed(SMALL, 1.15, 0.6, 0.4), grain(8, 6)),
        _photo("coffee", 40, framed(SMALL, 1.0), grain(8, 7)),
        _photo("coffee", 42, framed(SMALL, 1.2, 0.5, 0.5), grain(8, 8))),
    # cross dissolves of 6, 12, 24 and 48 frames between different shots
    "photo_dissolves": _plate(
        SMALL, 24, DELIVERY,
        _photo("astronaut", 80, slow_pan(SMALL, 80), grain(10, 1)),
        _photo("coffee", 80, handheld(SMALL, 5), grain(10, 2), join="dissolve", join_frames=6),
        _photo("chelsea", 90, slow_zoom(SMALL, R24), grain(10, 3), join="dissolve", join_frames=12),
        _photo("rocket", 100, slow_pan(SMALL, 100, right=False), grain(10, 4), join="dissolve",
               join_frames=24),
        _photo("moon", 110, handheld(SMALL, 3), grain(10, 5), join="dissolve", join_frames=48)),
    # the same dissolves between similar shots: the stereo pair, one scene reframed
    "photo_dissolves_similar": _plate(
        SMALL, 25, DELIVERY,
        _photo("motorcycle_left", 60, slow_pan(SMALL, 60), grain(8, 1)),
        _photo("motorcycle_right", 60, slow_pan(SMALL, 60), grain(8, 2), join="dissolve", join_frames=12),
        _photo("astronaut", 60, framed(SMALL, 1.0), grain(8, 3)),
        _photo("astronaut", 70, framed(SMALL, 1.4, 0.5, 0.3), grain(8, 4), join="dissolve", join_frames=24),
        _photo("astronaut", 60, framed(SMALL, 1.1, 0.3, 0.6), grain(8, 5), join="dissolve", join_frames=6),
        _photo("coffee", 60, framed(SMALL, 1.0), grain(8, 6)),
        _photo("coffee", 90, framed(SMALL, 1.3, 0.6, 0.5), grain(8, 7), join="dissolve", join_frames=48)),
    # dips to black and to white, 8 and 12 frames out and in
    "photo_dips": _plate(
        LARGE, 24, "prores",
        _photo("chelsea", 70, handheld(LARGE, 4), grain(9, 1)),
        _photo("astronaut", 70, slow_pan(LARGE, 70), grain(9, 2), join="dip_black", join_frames=12),
        _photo("coffee", 70, slow_zoom(LARGE, R24), grain(9, 3), join="dip_white", join_frames=8),
        _photo("rocket", 70, handheld(LARGE, 4, 1.0), grain(9, 4), join="dip_black", join_frames=8),
        _photo("motorcycle_left", 70, slow_pan(LARGE, 70, right=False), grain(9, 5), join="dip_white",
               join_frames=12)),
    # one slow pan, 3, 10 and 20 frames of it left out
    "photo_jump_cuts": _plate(
        SMALL, 24, DELIVERY,
        _PAN_TAKE, jump(_PAN_TAKE, 60, 3), jump(_PAN_TAKE, 60, 10), jump(_PAN_TAKE, 60, 20)),
    # jump cuts in a handheld zoom and in a handheld shot, a hard cut between them
    "photo_jump_cuts_handheld": _plate(
        LARGE, 25, DELIVERY,
        _ZOOM_TAKE, jump(_ZOOM_TAKE, 60, 10),
        _SHAKY_TAKE, jump(_SHAKY_TAKE, 50, 3), jump(_SHAKY_TAKE, 50, 20)),
    # whip pans inside shots: no cut there
    "photo_whip_pans": _plate(
        SMALL, 25, DELIVERY,
        _photo("coffee", 120, whip_pan(SMALL, 50, 4), grain(10, 1)),
        _photo("rocket", 100, whip_pan(SMALL, 40, 6, 1.2), grain(10, 2)),
        _photo("astronaut", 90, whip_pan(SMALL, 30, 3), handheld(SMALL, 4), grain(10, 3))),
    # a 2-frame white flash, a strobe, and a flash just after a cut: no cut in any
    "photo_flash_strobe": _plate(
        SMALL, 24, DELIVERY,
        _photo("astronaut", 80, slow_pan(SMALL, 80), grain(10, 1), white_flash(30)),
        _photo("chelsea", 90, handheld(SMALL, 4), grain(10, 2), strobe(20, 6), white_flash(70)),
        _photo("coffee", 60, grain(10, 3), white_flash(3))),
    # the plate fades up from black and, at its end, down to black
    "photo_fades": _plate(
        SMALL, 25, DELIVERY,
        _photo("rocket", 70, slow_pan(SMALL, 70), grain(10, 1), fade_from_black(24)),
        _photo("coffee", 60, handheld(SMALL, 5), grain(10, 2)),
        _photo("moon", 80, handheld(SMALL, 3, 1.0), grain(10, 3), fade_to_black(80, 24))),
    # dark, flat photographs (dimmed), grain over them
    "photo_low_contrast": _plate(
        SMALL, 24, DELIVERY,
        _photo("hubble_deep_field", 60, slow_pan(SMALL, 60), dim(), grain(6, 1)),
        _photo("retina", 60, handheld(SMALL, 3), dim(0.3, -0.3, 0.4), grain(6, 2)),
        _photo("moon", 60, dim(0.3, -0.3), grain(6, 3)),
        _photo("camera", 60, dim(), grain(6, 4)),
        _photo("hubble_deep_field", 60, framed(SMALL, 1.5, 0.3, 0.6), dim(), grain(6, 5))),
    # a 2.39:1 picture inside 16:9, black bars above and below: cuts, a dissolve, a dip
    "photo_letterbox": _plate(
        LARGE, 24, DELIVERY,
        _photo("astronaut", 70, slow_pan(LARGE, 70), grain(9, 1), letterbox(LARGE)),
        _photo("coffee", 60, handheld(LARGE, 5), grain(9, 2), letterbox(LARGE)),
        _photo("rocket", 70, grain(9, 3), letterbox(LARGE), join="dissolve", join_frames=12),
        _photo("chelsea", 60, slow_zoom(LARGE, R24), grain(9, 4), letterbox(LARGE), join="dip_black",
               join_frames=10),
        _photo("motorcycle_left", 60, handheld(LARGE, 4), grain(9, 5), letterbox(LARGE))),
    # a 4:3 picture inside 16:9, black bars left and right
    "photo_pillarbox": _plate(
        SMALL, 25, "prores",
        _photo("camera", 60, handheld(SMALL, 4), grain(8, 1), pillarbox(SMALL)),
        _photo("coins", 60, slow_pan(SMALL, 60), grain(8, 2), pillarbox(SMALL)),
        _photo("moon", 60, grain(8, 3), pillarbox(SMALL)),
        _photo("brick", 50, slow_pan(SMALL, 50, right=False), grain(8, 4), pillarbox(SMALL)),
        _photo("astronaut", 60, grain(8, 5), pillarbox(SMALL), join="dissolve", join_frames=12)),
    # what a user reported missed on real footage: a 12-frame dissolve, a jump cut of 10 frames,
    # a dip to black of 12 out and 12 in
    "photo_reported_misses": _plate(
        LARGE, 24, DELIVERY,
        _photo("coffee", 60, handheld(LARGE, 5), grain(9, 1)),
        _photo("chelsea", 70, slow_zoom(LARGE, R24), grain(9, 2), join="dissolve", join_frames=12),
        _REPORTED_TAKE, jump(_REPORTED_TAKE, 60, 10),
        _photo("rocket", 70, handheld(LARGE, 4), grain(9, 3), join="dip_black", join_frames=12),
        _photo("motorcycle_left", 60, slow_pan(LARGE, 60, right=False), grain(9, 4))),
    # one long take, nothing but a slow drift and grain: no cut in 2,000 frames
    "photo_long_take": _plate(
        LARGE, 24, DELIVERY,
        _photo("coffee", 2000, drift(LARGE, 900), grain(8, 1))),
}

SUFFIX = {"h264": ".mp4", DELIVERY: ".mp4", "prores": ".mov", "hevc": ".mkv", "dnxhr": ".mxf"}


def photo_file_name(key: str) -> str:
    """The plate file of ``PHOTO_SUITE[key]`` (like :func:`jobs.synth_suite.file_name`)."""
    return f"{key}{SUFFIX[PHOTO_SUITE[key].codec]}"
