"""A cut list: the cuts of one cut version of a plate, for a job to write without detecting.

The second contract between the API and the job (the first is :mod:`jobs.manifest`): when an
editor has corrected a plate's cuts, the API saves a cut version and hands the job its cut
list; the job then writes that version's outputs (cut media, thumbnails, EDL, OTIO, CSV,
contact sheet, manifest) with the cut boundaries and names of the list, no detection::

    {"schema_version": 1, "version": 3,
     "cuts": [{"first_frame": 0, "name": "sh010", "detected_by": "picture"},
              {"first_frame": 15, "name": "sh020", "detected_by": "editor"}]}

``first_frame`` is the 0-based plate frame where the cut's segment of the plate starts: the
manifest's ``Cut.first_frame``. On a reference plate that is the cut's ``cut_in`` (its handles
are virtual, not on the plate); on a scan the segment holds the cut's handles too, and the
list's boundaries are the picture changes between the pulls, as detection's are. Each cut runs
to the frame before the next one's ``first_frame``, the last one to the plate's end. A cut list
covers the whole plate: its first cut starts at frame 0 (a head nobody wants is a cut of its
own, e.g. ``slate``).
``detected_by`` says who placed the boundary that starts the cut (``editor``: an editor did;
the default).

Only pydantic, the standard library and other contract modules (:mod:`jobs.manifest`,
:mod:`jobs.errors`) are imported here, so ``api`` can write cut lists without the job's
media stack.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from jobs.errors import BadInputError, InputMissingError
from jobs.manifest import DetectedBy

CUT_LIST_SCHEMA: Literal[1] = 1
NAME_MAX = 200  # characters of a cut name: its files add a frame number and an extension
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(text: str) -> str:
    """A file-system-safe cut name (letters, digits, ``_ . -``, not starting or ending with
    ``.`` or ``_``): what the job names cuts it names itself."""
    return _UNSAFE.sub("_", text).strip("._") or "cut"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListedCut(_Model):
    """One cut of a cut list: where it starts and what it is called."""

    first_frame: int = Field(ge=0, description="0-based plate frame where the cut's segment "
                                               "starts (a reference plate's cut_in)")
    name: str = Field(min_length=1, max_length=NAME_MAX,
                      description="The cut's name, also its files' (letters, digits, _ . -)")
    detected_by: DetectedBy = Field("editor", description="Who placed the boundary that starts "
                                                          "the cut")

    @field_validator("name")
    @classmethod
    def _a_file_name(cls, name: str) -> str:
        if safe_name(name) != name:
            raise ValueError(f"{name!r} cannot name a file: use letters, digits, '_', '.' and "
                             "'-', neither first nor last '.' or '_'")
        return name


class CutList(_Model):
    """The cuts of cut version ``version`` of a plate, in plate order, covering all of it."""

    schema_version: Literal[1] = CUT_LIST_SCHEMA
    version: int = Field(ge=1, description="The plate's cut version these cuts are")
    cuts: list[ListedCut] = Field(min_length=1)

    @model_validator(mode="after")
    def _cuts_partition_the_plate(self) -> CutList:
        first = self.cuts[0]
        if first.first_frame != 0:
            raise ValueError(f"the first cut ({first.name}) starts at frame {first.first_frame}, "
                             "not 0: a cut list covers the whole plate (make a head a cut of "
                             "its own)")
        for n, (before, cut) in enumerate(zip(self.cuts, self.cuts[1:], strict=False), start=2):
            if cut.first_frame <= before.first_frame:
                raise ValueError(f"cut {n} ({cut.name}) starts at frame {cut.first_frame}, not "
                                 f"after cut {n - 1} ({before.name}) at frame "
                                 f"{before.first_frame}: first_frame must increase")
        seen: dict[str, tuple[int, str]] = {}
        for n, cut in enumerate(self.cuts, start=1):
            other, name = seen.setdefault(cut.name.casefold(), (n, cut.name))
            if other != n:
                named = f"both named {name!r}" if name == cut.name else \
                    f"named {name!r} and {cut.name!r}"
                raise ValueError(f"cuts {other} and {n} are {named}: cut names are unique, "
                                 "whatever their case (they name files)")
        return self

    def check_plate(self, frame_count: int, plate: str) -> None:
        """Raise :class:`~jobs.errors.BadInputError` unless every cut starts on ``plate``, a
        plate of ``frame_count`` frames."""
        for n, cut in enumerate(self.cuts, start=1):
            if cut.first_frame >= frame_count:
                raise BadInputError(f"cut version {self.version}: cut {n} ({cut.name}) starts at "
                                    f"frame {cut.first_frame}, past the end of {plate} "
                                    f"({frame_count} frames, 0-{frame_count - 1})")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def load_cut_list(data: str | bytes, where: str) -> CutList:
    """The cut list in ``data`` (JSON); :class:`~jobs.errors.BadInputError` with a one-line
    message naming ``where`` and the problems when it is not JSON or not a valid cut list."""
    try:
        return CutList.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise BadInputError(f"cut list {where}: {problems}") from None


def read_cut_list(path: Path) -> CutList:
    """The cut list in file ``path``: :class:`~jobs.errors.InputMissingError` when there is no
    such file, :class:`~jobs.errors.BadInputError` when it is not a valid cut list."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputMissingError(f"{path}: no such file") from None
    except OSError as exc:
        raise BadInputError(f"cut list {path}: {exc.strerror}") from None
    return load_cut_list(data, str(path))


def _problem(error: ErrorDetails) -> str:
    """One validation error in words: where (``cut 3 name``), then what."""
    words = []
    loc = list(error["loc"])
    while loc:
        part = loc.pop(0)
        if part == "cuts" and loc and isinstance(loc[0], int):
            words.append(f"cut {int(loc.pop(0)) + 1}")
        else:
            words.append(str(part))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "json_invalid":
        message = f"not JSON ({error.get('ctx', {}).get('error', message)})"
    return f"{' '.join(words)}: {message}" if words else message
