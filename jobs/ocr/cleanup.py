"""Clean-up of OCR'd burn-in text, using the shape each field is known to have.

Pure functions, no OCR engine needed. Each returns the cleaned value, or None when
the text cannot be that field, so a caller can try a box as a shot name, then a
timecode, then a frame counter (in that order: a counter accepts the fewest shapes).

Misreads mended: an underscore read as a space or dropped between name parts,
spaces inside a timecode, ``.``/``,`` read for a timecode's ``:``/``;``, and the
letters OCR confuses with digits (O o -> 0, I l | -> 1, S -> 5, B -> 8) where a
digit must be: in a timecode or counter, and in the numeric part of a shot name's
parts, never in its alphabetic part (``SH01O_0040`` -> ``SH010_0040``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# SH010_0040, EP01_S023_C012, ABC_0100, sq010_sh0020: letters (and digits), then one to
# four more parts of optional letters and digits, joined by underscores.
DEFAULT_SHOT_PATTERN = r"[A-Za-z]{1,8}\d{0,6}(?:_[A-Za-z]{0,8}\d{1,6}){1,4}"

_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})
_TIMECODE = re.compile(r"(\d{2})[:;.,](\d{2})[:;.,](\d{2})([:;.,])(\d{2})", re.ASCII)
_AROUND_SEPARATOR = re.compile(r"\s*([:;.,])\s*")
_DIGITS = re.compile(r"[0-9]{1,9}")


def clean_timecode(text: str, drop_frame: bool | None = None) -> str | None:
    """``HH:MM:SS:FF`` (or ``HH:MM:SS;FF`` for drop-frame) from OCR'd text, else None.

    The last separator read as ``;`` or ``,`` means drop-frame, ``:`` or ``.`` not;
    ``drop_frame`` (from the plate's rate, when known) overrides what was read, as a
    semicolon is easily read as a colon.
    """
    tight = _AROUND_SEPARATOR.sub(r"\1", _normal(text)).translate(_DIGIT_LOOKALIKES)
    # a space inside a field is a stray; a space instead of a separator is a separator
    for candidate in (re.sub(r"\s+", "", tight), re.sub(r"\s+", ":", tight)):
        m = _TIMECODE.fullmatch(candidate)
        if m:
            break
    else:
        return None
    hh, mm, ss, ff = (int(m.group(i)) for i in (1, 2, 3, 5))
    if hh > 23 or mm > 59 or ss > 59 or ff > 59:
        return None
    drop = m.group(4) in ";," if drop_frame is None else drop_frame
    return f"{m.group(1)}:{m.group(2)}:{m.group(3)}{';' if drop else ':'}{m.group(5)}"


def clean_counter(text: str) -> int | None:
    """A frame counter (``1001``) from OCR'd text, else None: digits only once the
    look-alike letters are mended, and at least one digit read as a digit."""
    compact = re.sub(r"\s+", "", _normal(text))
    digits = compact.translate(_DIGIT_LOOKALIKES)
    if not _DIGITS.fullmatch(digits) or not _has_digit(compact):
        return None
    return int(digits)


def clean_shot_name(text: str, pattern: str | re.Pattern[str] = DEFAULT_SHOT_PATTERN) -> str | None:
    """The shot name ``pattern`` (a site's naming, matched whole) finds in OCR'd text, else None.

    Tried in turn: the parts as read joined by underscores (``SH010 0040``), with the
    numeric parts mended (``SH01O_0040``), and split where a letter follows a digit
    (``EP01S023C012`` -> ``EP01_S023_C012``).
    """
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    for candidate in _shot_candidates(text):
        if regex.fullmatch(candidate):
            return candidate
    return None


def _shot_candidates(text: str) -> Iterator[str]:
    parts = [p for p in re.split(r"[\s_]+", _normal(text)) if p]
    if not parts:
        return
    yield "_".join(parts)
    yield "_".join(_mend_numeric(p) for p in parts)
    yield re.sub(r"(?<=[0-9])(?=[A-Za-z])", "_", "_".join(parts))


def _mend_numeric(part: str) -> str:
    """Look-alike letters to digits in a name part's numeric field: the whole part when
    it becomes all digits (``OO40``), else what follows its first digit (``SH01O``)."""
    whole = part.translate(_DIGIT_LOOKALIKES)
    if _DIGITS.fullmatch(whole) and _has_digit(part):
        return whole
    m = re.match(r"([^0-9]*[0-9])(.*)", part)
    if m is None:
        return part
    return m.group(1) + m.group(2).translate(_DIGIT_LOOKALIKES)


def _normal(text: str) -> str:
    """Full-width digits and punctuation (which Chinese-trained models emit) as ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def _has_digit(text: str) -> bool:
    return re.search(r"[0-9]", text) is not None
