"""Where a plate comes from and where its outputs go: ``s3://bucket/key``, ``file:///path`` or a path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

Scheme = Literal["s3", "file"]


@dataclass(frozen=True)
class ObjectUri:
    """An object (or a prefix of objects). For ``file``, ``key`` is an absolute path, ``bucket`` empty."""

    scheme: Scheme
    bucket: str
    key: str

    @property
    def name(self) -> str:
        """The last segment of the key: the file name a downloaded object keeps."""
        return PurePosixPath(self.key).name

    def child(self, relative: str) -> ObjectUri:
        """The object ``relative`` (a ``/``-separated path) under this prefix."""
        base = self.key.rstrip("/")
        key = f"{base}/{relative}" if base or self.scheme == "file" else relative
        return ObjectUri(self.scheme, self.bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.scheme == "s3" else self.key


def parse_uri(text: str) -> ObjectUri:
    """Parse ``s3://bucket/key``, ``file:///abs/path`` or a local path (made absolute).

    Raises ``ValueError`` with a one-line reason for anything else.
    """
    parts = urlsplit(text)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"{text!r}: an s3:// location needs a bucket (s3://bucket/key)")
        return ObjectUri("s3", parts.netloc, parts.path.lstrip("/"))
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"{text!r}: file:// locations must be on this machine (file:///path)")
        return ObjectUri("file", "", os.path.abspath(unquote(parts.path)))
    if parts.scheme and len(parts.scheme) > 1:  # "C:" is not a scheme, "http" is
        raise ValueError(f"{text!r}: use s3://bucket/key, file:///path or a local path")
    if not text:
        raise ValueError("an empty location")
    return ObjectUri("file", "", os.path.abspath(os.path.expanduser(text)))
