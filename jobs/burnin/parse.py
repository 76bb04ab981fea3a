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
    source, record = _timecodes(texts)
    name, counter = _name_and_counter(texts, pattern)
    raw = tuple((t.text, round(t.confidence, 3)) for t in texts)
    return BurnInFields(frame, name, source, record, counter, raw)
