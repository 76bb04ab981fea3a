"""Burned-in text for synthetic plates: shot name, running source timecode, frame counter.

Drawn with FFmpeg's drawtext the way editorial systems do: on a black band at the
top of each shot (name left, counter centre, source timecode right) and, over the
whole plate, a running record timecode on a band at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.timecode import FrameRate

MONO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


@dataclass(frozen=True)
class BurnIn:
    """What one shot carries burned in; None leaves that field out."""

    name: str | None = None
    source_tc: str | None = None  # timecode of the shot's first frame, running from there
    counter: int | None = None  # frame counter of the shot's first frame


@dataclass(frozen=True)
class BurnInStyle:
    band: float = 0.11  # band height as a fraction of the picture height
    font_scale: float = 0.6  # text height as a fraction of the band
    colour: str = "white"
    band_colour: str = "black"
    font: str = MONO_FONT


def _text(style: BurnInStyle, height: int, x: str, **options: Any) -> tuple[str, dict[str, Any]]:
    band = round(height * style.band)
    size = max(8, round(band * style.font_scale))
    return ("drawtext", {"fontfile": style.font, "fontsize": size, "fontcolor": style.colour,
                         "x": x, "y": (band - size) // 2, **options})


def shot_filters(burnin: BurnIn, style: BurnInStyle, height: int,
                 rate: FrameRate) -> list[tuple[str, dict[str, Any]]]:
    """The filters that draw one shot's top band."""
    band = round(height * style.band)
    out: list[tuple[str, dict[str, Any]]] = [
        ("drawbox", {"x": 0, "y": 0, "w": "iw", "h": band, "color": style.band_colour,
                     "t": "fill"})]
    if burnin.name:
        out.append(_text(style, height, "w*0.02", text=burnin.name))
    if burnin.counter is not None:
        out.append(_text(style, height, "(w-tw)/2", text="%{frame_num}",
                         start_number=burnin.counter))
    if burnin.source_tc:
        out.append(_text(style, height, "w-tw-w*0.02", timecode=burnin.source_tc,
                         rate=str(rate)))
    return out


def record_filters(record_tc: str, style: BurnInStyle, height: int,
                   rate: FrameRate) -> list[tuple[str, dict[str, Any]]]:
    """A bottom band with the plate's running record timecode."""
    band = round(height * style.band)
    size = max(8, round(band * style.font_scale))
    return [("drawbox", {"x": 0, "y": f"ih-{band}", "w": "iw", "h": band,
                         "color": style.band_colour, "t": "fill"}),
            ("drawtext", {"fontfile": style.font, "fontsize": size, "fontcolor": style.colour,
                          "x": "w-tw-w*0.02", "y": f"h-{band}+{(band - size) // 2}",
                          "timecode": record_tc, "rate": str(rate)})]
