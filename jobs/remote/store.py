"""Object stores the job reads a plate from and writes outputs to: S3 (or MinIO) and a local folder.

Both implement :class:`~jobs.remote.store_protocol.ObjectStore` (keys within a bucket
for S3, absolute paths for the local store) and turn their failures into
:mod:`jobs.errors` exceptions, so the exit code says whether a retry can help: a
missing object is ``NO_INPUT``, storage or network trouble ``TRANSIENT``.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path, PurePosixPath

from jobs.errors import BadInputError, InputMissingError, OutputError, ToolMissingError, TransientError
from jobs.remote.store_protocol import Advance, ObjectStore
from jobs.remote.uri import ObjectUri

_TYPES = {
    ".mov": "video/quicktime", ".mp4": "video/mp4", ".mxf": "application/mxf",
    ".mkv": "video/x-matroska", ".png": "image/png", ".jpg": "image/jpeg", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".exr": "image/x-exr", ".dpx": "image/x-dpx",
    ".json": "application/json", ".otio": "application/json", ".csv": "text/csv",
    ".edl": "text/plain",
}


def content_type(name: str) -> str:
    """The Content-Type an output file is stored with."""
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def open_store(uri: ObjectUri) -> ObjectStore:
    """The store holding ``uri``: S3 with settings from the environment, or the local disk."""
    if uri.scheme == "s3":
        try:
            from jobs.remote.s3 import S3Store
        except ImportError as exc:
            raise ToolMissingError(f"s3:// locations need boto3 ({exc}): install platecut[job]") from exc
        return S3Store.from_env(uri.bucket)
    return LocalStore()


class LocalStore:
    """Files on this machine: the embedded single-machine default (keys are absolute paths)."""

    def size(self, key: str) -> int:
        try:
            info = os.stat(key)
        except FileNotFoundError:
            raise InputMissingError(f"{key}: no such file") from None
        except OSError as exc:
            raise TransientError(f"{key}: {exc.strerror}") from exc
        if stat.S_ISDIR(info.st_mode):
            raise BadInputError(f"{key} is a folder: a job takes one movie file "
                                "(image sequences are not supported)")
        return info.st_size

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            with open(key, "rb") as fh:
                while chunk := fh.read(chunk_size):
                    yield chunk
        except OSError as exc:
            raise TransientError(f"reading {key}: {exc.strerror}") from exc

    def check_output(self, key: str) -> None:
        """Create the output folder now: one that cannot be made fails before the download."""
        try:
            Path(key).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write to {key}: {exc.strerror}") from exc

    def put_file(self, path: Path, key: str, content_type: str, advance: Advance) -> None:
        """Copy into a hidden temporary file beside ``key``, then rename it into place."""
        dest = Path(key)
        temp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with path.open("rb") as src, temp.open("wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
                    advance(len(chunk))
            os.replace(temp, dest)
        except OSError as exc:
            with suppress(OSError):
                temp.unlink()
            raise OutputError(f"cannot write {dest}: {exc.strerror}") from exc
