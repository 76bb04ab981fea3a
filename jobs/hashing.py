"""SHA-256 of output files, streamed in blocks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from jobs.manifest import OutputFile

_BLOCK = 1 << 20


def sha256_files(paths: Iterable[Path]) -> tuple[str, int]:
    """One digest over the files' bytes in order (an image sequence hashes as one)."""
    digest, size = hashlib.sha256(), 0
    for path in paths:
        with path.open("rb") as fh:
            while block := fh.read(_BLOCK):
                digest.update(block)
                size += len(block)
    return digest.hexdigest(), size


def output_file(root: Path, relative: str, files: Iterable[Path] | None = None,
                frames: int | None = None) -> OutputFile:
    digest, size = sha256_files(list(files) if files is not None else [root / relative])
    return OutputFile(path=relative, sha256=digest, size_bytes=size, frames=frames)
