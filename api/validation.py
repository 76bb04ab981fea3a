"""Shared field types (names that become parts of object keys or identifiers) and ``RequestBody``,
the base of every JSON body the API takes."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9._-]+")

# error types of our own validators: the problem document uses them as its code
CUSTOM_CODES = frozenset({"invalid_name", "invalid_slug", "reel_version"})


def check_slug(value: str) -> str:
    if not re.match(SLUG_PATTERN, value):
        raise PydanticCustomError("invalid_slug", "use 1-64 letters, digits, '.', '_' or '-', "
                                  "starting with a letter or digit")
    return value


def check_display_name(value: str) -> str:
    """A file name as the client knows it: no path separators, no control characters."""
    if value.strip() in ("", ".", ".."):
        raise PydanticCustomError("invalid_name", "the name is empty or a relative path")
    if "/" in value or "\\" in value:
        raise PydanticCustomError("invalid_name", "the name holds a path separator")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise PydanticCustomError("invalid_name", "the name holds a control character")
    return value


class RequestBody(BaseModel):
    """A JSON body: unknown keys are refused, and types are strict: ``true`` is not 1, ``"10"`` is not
    10, ``0`` is not ``false`` (query parameters, strings by nature, are not bodies: they convert)."""

    model_config = ConfigDict(extra="forbid", strict=True)


Slug = Annotated[str, AfterValidator(check_slug)]
DisplayName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(check_display_name)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$"), AfterValidator(str.lower)]


def key_safe(name: str, max_length: int = 200) -> str:
    """A name reduced to characters safe in any object store key and file system."""
    normalised = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE_KEY_CHARS.sub("_", normalised).lstrip(".")[:max_length]
    return cleaned or "plate"
