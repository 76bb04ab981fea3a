"""The generated plate suite shared by the tests and the accuracy benchmark.

Each entry is a plate whose every cut, dissolve and fade is known to the frame.
"""

from __future__ import annotations

from typing import Any

from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_burnin import BurnIn, BurnInStyle
from jobs.timecode import FrameRate

Filters = tuple[tuple[str, dict[str, Any]], ...]


def flash(*starts: int, frames: int = 1, strength: float = 0.45) -> Filters:
    enable = "+".join(f"between(n,{s},{s + frames - 1})" for s in starts)
    return (("eq", {"brightness": strength, "enable": enable}),)


def pan(speed: int, width: int = 320, height: int = 180) -> Filters:
    """A fast horizontal camera move across a wider picture."""
    return (("scale", {"w": width * 4, "h": height}),
            ("crop", {"w": width, "h": height, "x": f"n*{speed}", "y": 0}))


ZOOM: Filters = (("crop", {"w": "iw*0.8", "h": "ih*0.8"}), ("scale", {"w": 320, "h": 180}))
DIM: Filters = (("eq", {"contrast": 0.25, "brightness": -0.3}),)

SUITE: dict[str, PlateSpec] = {
    "different": PlateSpec(shots=(ShotSpec("testsrc", 30), ShotSpec("mandel", 30),
                                  ShotSpec("bars", 30), ShotSpec("life", 30))),
    "similar": PlateSpec(shots=(ShotSpec("testsrc", 30), ShotSpec("testsrc", 30, ZOOM),
                                ShotSpec("testsrc", 30, (("hflip", {}),)),
                                ShotSpec("testsrc", 30, (("hue", {"h": 25}),)))),
    "low_contrast": PlateSpec(shots=(ShotSpec("noise:0x404040", 30), ShotSpec("noise:0x474747", 30),
                                     ShotSpec("testsrc", 30, DIM), ShotSpec("mandel", 30, DIM))),
    "flash_strobe": PlateSpec(shots=(ShotSpec("testsrc", 60, flash(20, frames=2) + flash(40, 42, 44)),
                                     ShotSpec("mandel", 40, flash(15, strength=0.8)))),
    "fast_motion": PlateSpec(shots=(ShotSpec("testsrc", 60, pan(14)), ShotSpec("bars", 30),
                                    ShotSpec("mandel", 40, pan(10)))),
    "dissolve_fade": PlateSpec(shots=(ShotSpec("testsrc", 40),
                                      ShotSpec("mandel", 40, join="dissolve", join_frames=12),
                                      ShotSpec("bars", 40, join="fade", join_frames=8),
                                      ShotSpec("life", 30))),
    "ntsc_drop_frame": PlateSpec(shots=(ShotSpec("testsrc", 40), ShotSpec("mandel", 40),
                                        ShotSpec("bars", 40)),
                                 rate=FrameRate(30000, 1001), codec="prores",
                                 timecode="00:00:59;00"),
    "r23976_audio": PlateSpec(shots=(ShotSpec("bars", 36), ShotSpec("testsrc", 36),
                                     ShotSpec("mandel", 36)),
                              rate=FrameRate(24000, 1001), codec="prores",
                              timecode="01:00:00:00", audio=True),
    "vfr": PlateSpec(shots=(ShotSpec("testsrc", 40), ShotSpec("mandel", 40), ShotSpec("bars", 40)),
                     vfr_from_frame=50),
    "sequence_1001": PlateSpec(shots=(ShotSpec("testsrc", 20), ShotSpec("mandel", 20),
                                      ShotSpec("bars", 20)), codec="png"),
    "single_shot": PlateSpec(shots=(ShotSpec("testsrc", 60),)),
}

SUFFIX = {"png": ".%04d.png", "exr": ".%04d.exr", "dpx": ".%04d.dpx", "tiff": ".%04d.tif",
          "prores": ".mov", "dnxhr": ".mxf", "hevc": ".mkv", "h264": ".mp4"}


def file_name(name: str, spec: PlateSpec) -> str:
    return f"{name}{SUFFIX[spec.codec]}"


# Plates with burn-ins: (name, source timecode of the first frame, counter start) per shot.
def _bi(name: str | None, tc: str | None, counter: int | None = 1001) -> BurnIn:
    return BurnIn(name=name, source_tc=tc, counter=counter)


def _plate(*shots: ShotSpec) -> PlateSpec:
    """960x540 at 24 fps with a running record timecode at the bottom."""
    return PlateSpec(shots=shots, width=960, height=540, record_tc="01:00:00:00")


BURNIN_SUITE: dict[str, PlateSpec] = {
    # three shots, different pictures, every field burned in
    "bi_basic": _plate(
        ShotSpec("mandel", 30, burnin=_bi("SH010_0010", "14:23:10:05")),
        ShotSpec("bars", 30, burnin=_bi("SH010_0020", "09:02:59:20")),
        ShotSpec("life", 30, burnin=_bi("EP01_S023_C012", "22:10:00:00"))),
    # one take restarted: same picture and name, the source timecode jumps at frame 41
    "bi_timecode_jump": _plate(
        ShotSpec("bars", 41, burnin=_bi("SH030_0040", "11:00:00:00")),
        ShotSpec("bars", 40, burnin=_bi("SH030_0040", "11:00:12:00")),
        ShotSpec("mandel", 24, burnin=_bi("SH030_0050", "03:33:33:03"))),
    # the picture stays, only the name changes (timecode and counter run on)
    "bi_name_only": _plate(
        ShotSpec("bars", 35, burnin=_bi("SH040_0010", "05:00:00:00")),
        ShotSpec("bars", 30, burnin=_bi("SH040_0020", "05:00:01:11", 1036))),
    # the picture changes but name, timecode and counter run on: suspicious, not split
    "bi_suspicious": _plate(
        ShotSpec("mandel", 30, burnin=_bi("SH050_0010", "07:00:00:00")),
        ShotSpec("bars", 30, burnin=_bi("SH050_0010", "07:00:01:06", 1031))),
    # smaller yellow text on a see-through band over busy pictures, 29.97 drop-frame
    "bi_styles": PlateSpec(
        shots=(ShotSpec("testsrc", 30, burnin=_bi("sq010_sh0020", "00:09:59;20", None)),
               ShotSpec("mandel", 30, burnin=_bi("sq010_sh0030", "13:14:15;16", None))),
        width=1280, height=720, rate=FrameRate(30000, 1001), timecode="00:59:59;00",
        burnin_style=BurnInStyle(band=0.08, font_scale=0.55, colour="yellow",
                                 band_colour="black@0.45")),
    # no burn-ins at all: nothing may be invented
    "bi_none": PlateSpec(shots=(ShotSpec("mandel", 30), ShotSpec("bars", 30),
                                ShotSpec("life", 30)), width=960, height=540),
}
