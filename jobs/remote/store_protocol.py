"""What an object store is: the protocol the S3 and local stores implement, and the
progress callback their transfers take.

Keys are what :class:`~jobs.remote.uri.ObjectUri` calls them: an object key within
the bucket for S3, an absolute path for the local store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

Advance = Callable[[int], None]  # called with the bytes moved since the last call


class ObjectStore(Protocol):
    def size(self, key: str) -> int:
        """Bytes in object ``key``; ``InputMissingError`` when there is none."""
        ...

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        """The object's bytes in chunks of at most ``chunk_size``, streamed."""
        ...

    def check_output(self, key: str) -> None:
        """Fail early (before any work) when the outputs under ``key`` clearly cannot be stored."""
        ...

    def put_file(self, path: Path, key: str, content_type: str, advance: Advance) -> None:
        """Store the local file ``path`` as ``key`` whole (readers never see a part of it)."""
        ...
