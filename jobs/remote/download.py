"""Stage 1 of a job: bring the plate into the scratch folder, hashing it on the way (and the
cut list of a cut version, when the job writes one: :func:`fetch_cut_list`).

One movie object only (``s3://bucket/plates/A001.mov`` or a local file): an image
sequence, one object per frame, is out of scope here. The bytes are streamed in
chunks, never held whole in memory, and the file keeps the object's name so that
probing sees the right extension and the manifest the right plate name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jobs.cut_list import CutList, load_cut_list
from jobs.errors import BadInputError, OutputError, TransientError
from jobs.remote.progress import Log, Meter, megabytes
from jobs.remote.store_protocol import ObjectStore
from jobs.remote.uri import ObjectUri

CHUNK = 8 << 20
CUT_LIST_LIMIT = 16 << 20  # bytes: a cut list of 100,000 cuts is about 8 MB


@dataclass(frozen=True)
class Expected:
    """What the plate must be, when the caller knows: its size in bytes and SHA-256 (hex)."""

    size: int | None = None
    sha256: str | None = None


def plate_file_name(source: ObjectUri) -> str:
    """The last segment of the source's key: the name the downloaded plate keeps."""
    name = source.name
    if not name or source.key.endswith("/") or name in (".", ".."):
        raise BadInputError(f"{source}: not a plate file (give the key of one movie object)")
    return name


def download(store: ObjectStore, source: ObjectUri, folder: Path, expected: Expected,
             log: Log) -> Path:
    """Copy ``source`` into ``folder``; checks size and SHA-256 against ``expected``.

    A plate that is not what was expected is bad input (``BadInputError``); a transfer
    that ends early is transient.
    """
    dest = folder / plate_file_name(source)
    size = store.size(source.key)
    if expected.size is not None and size != expected.size:
        raise BadInputError(f"{source}: {size:,} bytes, expected {expected.size:,}")
    log("download", f"{source} ({megabytes(size)} MB) to {dest}")
    meter = Meter(log, "download", size)
    digest = _write(store.read(source.key, CHUNK), dest, meter)
    if meter.done != size:
        raise TransientError(f"{source}: the transfer ended after {meter.done:,} of {size:,} bytes")
    meter.finish(f", sha256 {digest}")
    if expected.sha256 is not None and digest != expected.sha256.lower():
        raise BadInputError(f"{source}: SHA-256 is {digest}, expected {expected.sha256.lower()}")
    return dest


def fetch_cut_list(store: ObjectStore, uri: ObjectUri, log: Log) -> CutList:
    """The cut list at ``uri`` (read into memory: it is small). A missing object is
    ``InputMissingError``; one too big, not JSON or not a valid cut list ``BadInputError``."""
    size = store.size(uri.key)
    if size > CUT_LIST_LIMIT:
        raise BadInputError(f"cut list {uri}: {size:,} bytes, more than the "
                            f"{CUT_LIST_LIMIT:,} a cut list may have")
    data = b"".join(store.read(uri.key, CHUNK))
    if len(data) != size:
        raise TransientError(f"{uri}: the transfer ended after {len(data):,} of {size:,} bytes")
    listed = load_cut_list(data, str(uri))
    log("download", f"{uri}: cut version {listed.version}, {len(listed.cuts)} cuts")
    return listed


def _write(chunks: Iterable[bytes], dest: Path, meter: Meter) -> str:
    """Write ``chunks`` to ``dest``; returns their SHA-256 (hex)."""
    digest = hashlib.sha256()
    try:
        with dest.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                digest.update(chunk)
                meter.advance(len(chunk))
    except OSError as exc:  # the scratch folder: reading errors arrive as TransientError
        raise OutputError(f"cannot write {dest}: {exc.strerror}") from exc
    return digest.hexdigest()
