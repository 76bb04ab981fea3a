"""Where a plate's frames come from: a movie file or a numbered image sequence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jobs.errors import BadInputError, InputMissingError
from jobs.timecode import FrameRate

SEQUENCE_EXTENSIONS = {".exr", ".dpx", ".png", ".tif", ".tiff", ".jpg", ".jpeg"}
_PRINTF = re.compile(r"%0?(\d*)d")
_HASHES = re.compile(r"#+")
_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<num>\d+)(?P<ext>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class PlateSource:
    """A readable plate. For sequences, ``pattern`` is printf style (``plate.%04d.exr``)."""

    path: Path
    kind: str  # "movie" or "sequence"
    first_number: int | None = None
    frame_files: tuple[Path, ...] = field(default=(), repr=False)
    sequence_rate: FrameRate = FrameRate(24)

    @property
    def display_name(self) -> str:
        return self.path.name

    @property
    def stem(self) -> str:
        name = self.path.name
        if self.kind == "sequence":
            name = _PRINTF.sub("", name)
        stem = name.split(".")[0].rstrip("._-")
        return stem or "plate"

    def input_args(self, rate: FrameRate | None = None) -> dict[str, object]:
        """Keyword arguments for ``ffmpeg.input`` (demuxer options for sequences)."""
        if self.kind != "sequence":
            return {}
        return {"f": "image2", "start_number": self.first_number,
                "framerate": str(rate or self.sequence_rate)}


def resolve_source(text: str, sequence_rate: FrameRate | None = None) -> PlateSource:
    """Accept a movie path, a ``%04d``/``####`` sequence pattern, or one frame of a sequence."""
    rate = sequence_rate or FrameRate(24)
    path = Path(text)
    if _PRINTF.search(path.name) or _HASHES.search(path.name):
        return _sequence_from_pattern(path, rate)
    if path.is_dir():
        raise BadInputError(f"{text} is a folder: give a movie file or a sequence like plate.%04d.exr")
    if not path.exists():
        raise InputMissingError(f"{text}: no such file")
    if path.suffix.lower() in SEQUENCE_EXTENSIONS:
        m = _NUMBERED.match(path.name)
        if m:
            width = len(m.group("num"))
            pattern = path.with_name(f"{m.group('stem')}%0{width}d{m.group('ext')}")
            return _sequence_from_pattern(pattern, rate)
    return PlateSource(path=path, kind="movie")


def _sequence_from_pattern(path: Path, rate: FrameRate) -> PlateSource:
    name = _HASHES.sub(lambda m: f"%0{len(m.group(0))}d", path.name)
    m = _PRINTF.search(name)
    assert m is not None
    width = int(m.group(1) or 0)
    prefix, suffix = name[: m.start()], name[m.end():]
    folder = path.parent
    if not folder.is_dir():
        raise InputMissingError(f"{path}: folder {folder} does not exist")
    numbered: dict[int, Path] = {}
    rx = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix) + "$")
    for entry in folder.iterdir():
        hit = rx.match(entry.name)
        if hit and (width == 0 or len(hit.group(1)) == width):
            numbered[int(hit.group(1))] = entry
    if not numbered:
        raise InputMissingError(f"{path}: no frames match this sequence pattern")
    first, last = min(numbered), max(numbered)
    missing = [n for n in range(first, last + 1) if n not in numbered]
    if missing:
        shown = ", ".join(str(n) for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise BadInputError(f"{path}: sequence {first}-{last} is missing {len(missing)} frames ({shown})")
    files = tuple(numbered[n] for n in range(first, last + 1))
    return PlateSource(path=folder / name, kind="sequence", first_number=first,
                       frame_files=files, sequence_rate=rate)
