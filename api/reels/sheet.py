"""The cut-change report as a picture: each changed shot's old and new thumbnails side by side, with
what changed written under them (coordinators would rather look than read)."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

from api.reels.changes import Category
from api.reels.report import ChangeRow, CutSide

TILE = (256, 144)  # one thumbnail, 16:9
PAD = 8
TEXT_HEIGHT = 40
MAX_ROWS = 200  # a report of more changed shots says how many were left out
BACKGROUND = (24, 24, 24)
EMPTY = (60, 60, 60)  # where a version has no such shot
TEXT = (230, 230, 230)
CATEGORY_COLOURS = {Category.NEW: (90, 200, 90), Category.OMITTED: (220, 80, 80),
                    Category.REINSTATED: (80, 200, 220), Category.CUT_CHANGE: (230, 200, 60),
                    Category.RESCAN: (220, 90, 220), Category.REPEATED: (110, 140, 240),
                    Category.UNCHANGED: (150, 150, 150)}
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# (old or new side, cut order) -> the thumbnail's JPEG bytes, or None when there is none
Thumbnails = Callable[[str, int], bytes | None]


def changed(rows: list[ChangeRow]) -> list[ChangeRow]:
    """The rows worth a look: every shot that is not unchanged and in place."""
    return [row for row in rows if row.category is not Category.UNCHANGED or row.reordered]


def render(rows: list[ChangeRow], thumbnails: Thumbnails, title: str) -> bytes:
    """A PNG: the title, then one band per row (old | new, and the change under them)."""
    shown = rows[:MAX_ROWS]
    band = TILE[1] + TEXT_HEIGHT + PAD
    width = 2 * TILE[0] + 3 * PAD
    sheet = Image.new("RGB", (width, TEXT_HEIGHT + PAD + band * max(len(shown), 1) + TEXT_HEIGHT),
                      BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font(14)
    draw.text((PAD, PAD), title, fill=TEXT, font=font)
    for number, row in enumerate(shown):
        top = TEXT_HEIGHT + PAD + number * band
        for column, (side, cut) in enumerate((("old", row.old), ("new", row.new))):
            _tile(sheet, (PAD + column * (TILE[0] + PAD), top), side, cut, thumbnails)
        colour = CATEGORY_COLOURS[row.category]
        draw.text((PAD, top + TILE[1] + 4), f"{row.name}  {describe(row)}", fill=colour, font=font)
    if not shown:
        draw.text((PAD, TEXT_HEIGHT + PAD), "no shot changed", fill=TEXT, font=font)
    if len(rows) > len(shown):
        draw.text((PAD, sheet.height - TEXT_HEIGHT + 4), f"and {len(rows) - len(shown)} more changed shots",
                  fill=TEXT, font=font)
    out = io.BytesIO()
    sheet.save(out, "PNG")
    return out.getvalue()


def describe(row: ChangeRow) -> str:
    """``cut change: head -3, tail +0, 45 fr (was 48)`` and the like."""
    words = [row.category.value.replace("_", " ")]
    if row.head_delta is not None and row.tail_delta is not None:
        words.append(f"head {row.head_delta:+d}, tail {row.tail_delta:+d}")
    if row.old is not None and row.new is not None and row.old.duration != row.new.duration:
        words.append(f"{row.new.duration} fr (was {row.old.duration})")
    if row.reordered:
        words.append("moved")
    return ": ".join(words[:1]) + (": " + ", ".join(words[1:]) if len(words) > 1 else "")


def _tile(sheet: Image.Image, at: tuple[int, int], side: str, cut: CutSide | None,
          thumbnails: Thumbnails) -> None:
    data = thumbnails(side, cut.cut) if cut is not None else None
    if data is None:
        sheet.paste(Image.new("RGB", TILE, EMPTY), at)
        return
    with Image.open(io.BytesIO(data)) as picture:
        thumb = picture.convert("RGB")
        thumb.thumbnail(TILE)
    tile = Image.new("RGB", TILE, BACKGROUND)
    tile.paste(thumb, ((TILE[0] - thumb.width) // 2, (TILE[1] - thumb.height) // 2))
    sheet.paste(tile, at)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(_FONT, size)
    except OSError:  # the fonts package is missing: Pillow's own small font
        return ImageFont.load_default()
