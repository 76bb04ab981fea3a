"""A plate's reel and version read from its name, as editorial names turnovers: ``ep101_r2_v07.mov``
is version 7 of reel ``ep101_r2``."""

from __future__ import annotations

import re

from api.validation import SLUG_PATTERN

# <reel>_v<digits>[.ext], the separator before the v being _ . or -
_VERSIONED = re.compile(r"^(?P<reel>.+?)[_.-][vV](?P<version>\d{1,6})(?:\.[A-Za-z0-9]{1,8})?$")
_REEL = re.compile(SLUG_PATTERN)


def reel_and_version(name: str) -> tuple[str, int] | None:
    """``(reel, version)`` when ``name`` follows the pattern and the reel is a valid name; else None."""
    found = _VERSIONED.match(name)
    if found is None or not _REEL.match(found["reel"]) or int(found["version"]) < 1:
        return None
    return found["reel"], int(found["version"])
