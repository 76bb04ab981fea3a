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


def _overlap_joined(left: ReadText, right: ReadText) -> str:
    """The text of two boxes that overlap: characters under both are read twice
    (``EP01_S023`` + ``3_C012``), so a repeated overlap is kept once."""
    char = (left.x1 - left.x0) / max(1, len(left.text))
    most = min(len(left.text), len(right.text), round((left.x1 - right.x0) / max(char, 1)) + 1)
    for k in range(most, 0, -1):
        if left.text.endswith(right.text[:k]):
            return left.text + right.text[k:]
    return left.text + right.text


def join_close(texts: list[ReadText]) -> list[ReadText]:
    """Join boxes of one band closer than a character: a detector may split a shot name
    at its underscore (``SH010`` ``0020``); the clean-up reads the space as ``_``."""
    out: list[ReadText] = []
    for item in sorted(texts, key=lambda t: (t.band, t.x0)):
        last = out[-1] if out else None
        if last and last.band == item.band and item.x0 - last.x1 < 0.8 * max(last.height, 1):
            text = (_overlap_joined(last, item) if item.x0 < last.x1
                    else f"{last.text} {item.text}")
            out[-1] = ReadText(last.band, text, min(last.confidence, item.confidence), last.x0,
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
    lines = join_close(texts)
    source, record = _timecodes(lines)
    name, counter = _name_and_counter(lines, pattern)
    raw = tuple((t.text, round(t.confidence, 3)) for t in texts)
    return BurnInFields(frame, name, source, record, counter, raw)
