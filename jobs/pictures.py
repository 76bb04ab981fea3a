"""Stage 6, pictures: a JPEG thumbnail of each cut's middle frame and the contact sheet."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from jobs.framestore import FrameStore
from jobs.segments import CutPlan

Fetch = Callable[[int], Path]  # a frame's thumbnail made by fetching the frame from the plate

_FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
_BG, _FG, _DIM, _ACCENT = (24, 24, 27), (235, 235, 235), (150, 150, 160), (255, 196, 0)


@dataclass(frozen=True)
class SheetEntry:
    thumbnail: Path
    title: str  # e.g. "#003  SH010_0040"
    detail: str  # e.g. "1009-1056 (48f +8/8)  plate 96-159": cut_in-cut_out, handles, segment
    note: str  # e.g. "in: dissolve, plate 90-101", or ""
    kind: str  # how the cut starts: start, cut, dissolve, fade


def middle_frame(cut: CutPlan) -> int:
    """0-based plate frame in the middle of the cut itself (its handles left out on a scan)."""
    return cut.cut_first_frame + (cut.fields.cut_duration - 1) // 2


def write_thumbnails(store: FrameStore, cuts: list[CutPlan], out_dir: Path, fetch: Fetch,
                     progress: Callable[[int], None] | None = None) -> list[Path]:
    """Each cut's middle frame, taken from the frame store the analysis pass wrote; where the
    store let it go (a cut the burn-ins added or merged), ``fetch`` gives the thumbnail."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for done, cut in enumerate(cuts, start=1):
        path = out_dir / f"{cut.name}.jpg"
        middle = middle_frame(cut)
        stored = store.thumbnail(middle)
        shutil.copyfile(stored if stored.exists() else fetch(middle), path)
        paths.append(path)
        if progress:
            progress(done)
    return paths


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def contact_sheet(entries: list[SheetEntry], heading: str, out: Path,
                  tile_width: int = 320) -> Path:
    """A grid of thumbnails, each labelled with its cut number, name and frame range."""
    columns = min(len(entries), max(1, math.ceil(math.sqrt(len(entries) * 1.5))), 6) or 1
    rows = max(1, math.ceil(len(entries) / columns))
    tile_h = _tile_height(entries, tile_width)
    label_h, pad, head_h = 60, 12, 40
    sheet = Image.new("RGB", (pad + columns * (tile_width + pad),
                              head_h + pad + rows * (tile_h + label_h + pad)), _BG)
    draw = ImageDraw.Draw(sheet)
    big, small = _font(18), _font(13)
    draw.text((pad, 10), heading, fill=_FG, font=big)
    for i, entry in enumerate(entries):
        x = pad + (i % columns) * (tile_width + pad)
        y = head_h + pad + (i // columns) * (tile_h + label_h + pad)
        with Image.open(entry.thumbnail) as img:
            thumb = img.convert("RGB").resize((tile_width, tile_h))
        sheet.paste(thumb, (x, y))
        colour = _ACCENT if entry.kind in ("dissolve", "fade") else _FG
        draw.text((x, y + tile_h + 4), _fit(entry.title, small, tile_width), fill=colour,
                  font=small)
        draw.text((x, y + tile_h + 22), _fit(entry.detail, small, tile_width), fill=_DIM,
                  font=small)
        draw.text((x, y + tile_h + 40), _fit(entry.note, small, tile_width), fill=_ACCENT,
                  font=small)
    tmp = out.with_suffix(".tmp.png")
    sheet.save(tmp, format="PNG")
    tmp.replace(out)
    return out


def _fit(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> str:
    """The text, shortened with an ellipsis to fit ``width`` pixels."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _tile_height(entries: list[SheetEntry], tile_width: int) -> int:
    if not entries:
        return tile_width * 9 // 16
    with Image.open(entries[0].thumbnail) as img:
        return max(1, round(tile_width * img.height / img.width))
