"""The generated plate suite shared by the tests and the accuracy benchmark.

Each entry is a plate whose every cut, dissolve and fade is known to the frame.
"""

from __future__ import annotations

from typing import Any

from jobs.synth import PlateSpec, ShotSpec
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
