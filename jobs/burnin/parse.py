"""From the text read in the burn-in bands to fields: shot name, timecodes, counter."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobs.burnin.fields import BurnInFields
from jobs.ocr.cleanup import clean_counter, clean_shot_name, clean_timecode

# a timecode as OCR may read it: confusable letters for digits, stray spaces, . or , for :
_D = r"[0-9OoIl|SB]"
_SEP = r"\s?[:;.,]\s?"
_TC_LIKE = re.compile(rf"(?<![0-9]){_D}{{2}}{_SEP}{_D}{{2}}{_SEP}{_D}{{2}}{_SEP}{_D}{{2}}(?![0-9])")
_RECORD_LABEL = re.compile(r"\bREC\w*\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReadText:
    band: int  # which burn-in band (top to bottom)
    text: str
    confidence: float
    x0: int = 0  # left and right edge, and height, in pixels
    x1: int = 0
    height: int = 0


def _overlap_candidates(left: ReadText, right: ReadText) -> list[str]:
    """Readings of two boxes that overlap, likeliest first: characters under both read
    twice and kept once (``EP01_S023`` + ``3_C012``), the two as read, or a separator
    lost between them (``SH020`` + ``0020``)."""
    char = (left.x1 - left.x0) / max(1, len(left.text))
    most = min(len(left.text), len(right.text), round((left.x1 - right.x0) / max(char, 1)) + 1)
    shared = [left.text + right.text[k:] for k in range(most, 0, -1)
              if left.text.endswith(right.text[:k])]
    return [*shared, left.text + right.text, f"{left.text} {right.text}"]


def _joined_text(left: ReadText, right: ReadText, pattern: re.Pattern[str]) -> str:
    """One line of two boxes; of overlapping ones, the first reading that is a shot name."""
    if right.x0 >= left.x1:
        return f"{left.text} {right.text}"
    candidates = _overlap_candidates(left, right)
    return next((c for c in candidates if clean_shot_name(c, pattern)), candidates[0])


def _whole_timecode(item: ReadText) -> bool:
    return _TC_LIKE.search(item.text) is not None


def _joins(last: ReadText, item: ReadText) -> bool:
    """Do two boxes of one band hold one line of text?

    Boxes closer than a character join. Overlapping boxes join only when neither holds a
    whole timecode: a speck read inside a timecode's box must not be glued to its digits.
    """
    if last.band != item.band or item.x0 - last.x1 >= 0.8 * max(last.height, 1):
        return False
    return item.x0 >= last.x1 or not (_whole_timecode(last) or _whole_timecode(item))


def drop_specks(texts: list[ReadText]) -> list[ReadText]:
    """Without boxes under 60% as tall as another box of their band that they overlap: a
    speck of picture read through a see-through band (``51°`` inside ``17:00:00:12``,
    ``48`` under ``SH020_0020``), never a line of the burn-in's own lettering."""
    def speck(t: ReadText) -> bool:
        return any(o.band == t.band and t.height < 0.6 * o.height and t.x0 < o.x1 and o.x0 < t.x1
                   for o in texts)
    return [t for t in texts if not speck(t)]


def join_close(texts: list[ReadText], pattern: re.Pattern[str]) -> list[ReadText]:
    """Join boxes of one band closer than a character: a detector may split a shot name
    at its underscore (``SH010`` ``0020``); the clean-up reads the space as ``_``."""
    out: list[ReadText] = []
    for item in sorted(drop_specks(texts), key=lambda t: (t.band, t.x0)):
        last = out[-1] if out else None
        if last and _joins(last, item):
            out[-1] = ReadText(last.band, _joined_text(last, item, pattern),
                               min(last.confidence, item.confidence), last.x0,
                               max(last.x1, item.x1), max(last.height, item.height))
        else:
            out.append(item)
    return out


def _timecodes(texts: list[ReadText]) -> tuple[str | None, str | None]:
    """(source, record): the first timecode is the source one unless labelled REC."""
    source = record = None
    for item in texts:
        for m in _TC_LIKE.finditer(item.text):
            tc = clean_timecode(m.group())
            if tc is None:
                continue
            if _RECORD_LABEL.search(item.text[: m.start()]) or source is not None:
                record = record or tc
            else:
                source = tc
    return source, record


def _name_and_counter(texts: list[ReadText], pattern: re.Pattern[str]) -> tuple[str | None, int | None]:
    name = counter = None
    for item in texts:
        rest = _TC_LIKE.sub("  ", item.text)
        for chunk in re.split(r"\s{2,}|\t", rest):
            chunk = chunk.strip()
            if not chunk:
                continue
            found = clean_shot_name(chunk, pattern)
            if found:
                name = name or found
                continue
            value = clean_counter(chunk)
            if counter is None and value is not None and value >= 100:
                counter = value
    return name, counter


def parse_fields(frame: int, texts: list[ReadText], pattern: re.Pattern[str]) -> BurnInFields:
    lines = join_close(texts, pattern)
    source, record = _timecodes(lines)
    name, counter = _name_and_counter(lines, pattern)
    raw = tuple((t.text, round(t.confidence, 3)) for t in texts)
    return BurnInFields(frame, name, source, record, counter, raw)
