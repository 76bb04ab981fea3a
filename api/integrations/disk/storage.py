"""``DiskStorage``: the ``Storage`` interface on a local folder (the embedded default).

Layout under ``root``::

    objects/<key>                     one file per object
    multipart/<upload-id>/upload.json {"key": ..., "created_at": ...}
    multipart/<upload-id>/00001       part 1; 00001.etag holds its MD5 (hex)
    tmp/                              bodies being received, joined parts (locked while written;
                                      ``remove_stale_temp`` drops those a dead process left)

Every file is written under ``tmp/`` and renamed into place (same file system), so a
reader never sees half an object. Presigned URLs point at the API itself (see
``router.py``) and are signed with HMAC (``signing.py``). ETags are quoted like S3's:
a part's is its MD5, an object's is made from its size and modification time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import IO
from urllib.parse import urlencode

from api.integrations.disk import signing, tempfiles
from api.integrations.disk.signing import Signed
from api.integrations.storage import (
    CREATE_ONLY,
    MAX_PARTS,
    MAX_PRESIGN_SECONDS,
    MAX_SINGLE_PUT,
    S3_MIN_PART,
    InvalidPart,
    ListedObject,
    NoSuchUpload,
    ObjectInfo,
    PresignedRequest,
    StorageError,
    UploadedPart,
    check_expires_in,
    check_part_size,
)

MAX_KEY_BYTES = 1024
COPY_CHUNK = 1024 * 1024
DEFAULT_BODY_IDLE_SECONDS = 60.0
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_PART_FILE = re.compile(r"\d{5}")


def validate_key(key: str) -> str:
    """Return ``key`` when it is a safe relative object key, else raise ``ValueError``.

    Refused: empty or over 1024 bytes, absolute, backslashes, control characters, and
    empty, ``.`` or ``..`` segments (so a key never leaves ``objects/``).
    """
    if not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ValueError("an object key must be 1..1024 bytes")
    if key.startswith("/") or "\\" in key:
        raise ValueError(f"an object key must be relative, with '/' only: {key!r}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ValueError(f"an object key must not hold control characters: {key!r}")
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise ValueError(f"an object key must not hold empty, '.' or '..' segments: {key!r}")
    return key


def quoted_etag(value: str) -> str:
    return f'"{value}"'


def bare_etag(etag: str) -> str:
    """An ETag without its quotes (or a weak prefix), lower case: for comparing."""
    value = etag.strip()
    value = value.removeprefix("W/")
    return value.strip('"').lower()


def object_etag(stat: os.stat_result) -> str:
    """An object's ETag: from its size and modification time (cheap, changes on rewrite)."""
    return quoted_etag(f"{stat.st_size:x}-{stat.st_mtime_ns:x}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DiskStorage:
    """Objects as files under ``root``; URLs signed with ``secret`` for ``public_base_url``.

    ``public_base_url`` is where clients reach the API (``http://host:8000``); the
    storage routes live under ``/api/v1/storage`` there. ``clock`` (unix seconds) is for
    tests. Thread-safe: every write goes to a unique temporary file, then is renamed.
    """

    def __init__(self, root: Path | str, public_base_url: str, secret: bytes | str,
                 clock: Callable[[], float] = time.time,
                 body_idle_seconds: float = DEFAULT_BODY_IDLE_SECONDS) -> None:
        self.secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(self.secret) < 16:
            raise ValueError("the URL signing secret must be at least 16 bytes")
        self.root = Path(root)
        self.public_base_url = public_base_url.rstrip("/")
        self.objects_dir = self.root / "objects"
        self.multipart_dir = self.root / "multipart"
        self.tmp_dir = self.root / "tmp"
        self.closed_dir = self.root / "closed"
        self.clock = clock
        self.body_idle_seconds = body_idle_seconds  # a PUT whose body stalls this long is dropped
        for folder in (self.objects_dir, self.multipart_dir, self.tmp_dir, self.closed_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"DiskStorage(root={str(self.root)!r}, public_base_url={self.public_base_url!r})"

    # -- signing ---------------------------------------------------------------------

    def _url(self, signed: Signed) -> str:
        query = urlencode(signing.query(self.secret, signed))
        return f"{self.public_base_url}{signing.quote_path(signed.path)}?{query}"

    def _expires(self, expires_in: int) -> int:
        check_expires_in(expires_in)
        return int(self.clock()) + expires_in

    def verify(self, signed: Signed, signature: str) -> None:
        """Raise ``signing.SignatureError`` unless ``signature`` is ours and still valid."""
        signing.verify(self.secret, signed, signature, self.clock())

    # -- uploads ---------------------------------------------------------------------

    def presign_put(self, key: str, size: int, expires_in: int,
                    sha256_hex: str | None = None) -> PresignedRequest:
        """A PUT to the API of exactly ``size`` bytes (and that SHA-256, when given), which creates
        the object and never replaces one (the route answers 412 when it exists)."""
        validate_key(key)
        if not 0 <= size <= MAX_SINGLE_PUT:
            raise ValueError(f"a single PUT takes 0..{MAX_SINGLE_PUT} bytes, not {size}")
        if sha256_hex is not None:
            sha256_hex = sha256_hex.lower()
            if not SHA256_HEX.fullmatch(sha256_hex):
                raise ValueError(f"not a hex SHA-256 digest: {sha256_hex!r}")
        signed = Signed("PUT", signing.object_path(key), self._expires(expires_in), size=size,
                        sha256_hex=sha256_hex)
        return PresignedRequest("PUT", self._url(signed), {"Content-Length": str(size), **CREATE_ONLY},
                                expires_in)

    def create_multipart(self, key: str) -> str:
        validate_key(key)
        upload_id = uuid.uuid4().hex
        folder = self.multipart_dir / upload_id
        record = json.dumps({"key": key, "created_at": self.clock()})
        try:
            folder.mkdir()
            (folder / "upload.json.tmp").write_text(record, encoding="utf-8")
            os.replace(folder / "upload.json.tmp", folder / "upload.json")
        except OSError as exc:
            raise StorageError(f"creating a multipart upload failed: {exc}") from exc
        return upload_id

    def upload_key(self, upload_id: str) -> str:
        """The key a multipart upload is for; ``NoSuchUpload`` when there is no such upload."""
        if not UPLOAD_ID.fullmatch(upload_id):
            raise NoSuchUpload(f"no multipart upload {upload_id!r}")
        try:
            record = json.loads((self.multipart_dir / upload_id / "upload.json").read_text("utf-8"))
        except FileNotFoundError:
            raise NoSuchUpload(f"no multipart upload {upload_id!r}") from None
        except (OSError, ValueError) as exc:
            raise StorageError(f"reading multipart upload {upload_id!r} failed: {exc}") from exc
        return str(record["key"])

    def _upload_dir(self, key: str, upload_id: str) -> Path:
        if self.upload_key(upload_id) != key:
            raise NoSuchUpload(f"no multipart upload {upload_id!r} for key {key!r}")
        return self.multipart_dir / upload_id

    def presign_part(self, key: str, upload_id: str, number: int, expires_in: int, *,
                     size: int) -> PresignedRequest:
        """A PUT of part ``number`` to the API, exactly ``size`` bytes (signed: the route refuses
        another length); its response's ``ETag`` header names the part."""
        if not 1 <= number <= MAX_PARTS:
            raise ValueError(f"part numbers are 1..{MAX_PARTS}, not {number}")
        check_part_size(size)
        self._upload_dir(key, upload_id)
        signed = Signed("PUT", signing.part_path(upload_id, number), self._expires(expires_in), size=size)
        return PresignedRequest("PUT", self._url(signed), {"Content-Length": str(size)}, expires_in)

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        """The parts received so far, sorted by number."""
        folder = self._upload_dir(key, upload_id)
        parts: list[UploadedPart] = []
        try:
            paths = list(folder.iterdir())
        except FileNotFoundError:  # completed or aborted meanwhile
            raise NoSuchUpload(f"no multipart upload {upload_id!r}") from None
        for path in paths:
            if not _PART_FILE.fullmatch(path.name):
                continue
            try:
                etag = path.with_name(path.name + ".etag").read_text("ascii").strip()
                size = path.stat().st_size
            except FileNotFoundError:  # being replaced just now: not there yet
                continue
            parts.append(UploadedPart(int(path.name), quoted_etag(etag), size))
        return sorted(parts, key=lambda part: part.number)

    def commit_part(self, temp: Path, upload_id: str, number: int, md5_hex: str) -> UploadedPart:
        """Move a received part (``temp``, in ``tmp_dir``) into its upload; returns it."""
        folder = self.multipart_dir / upload_id
        try:
            self.upload_key(upload_id)
            target = folder / f"{number:05d}"
            etag_file = folder / f"{number:05d}.etag"
            etag_file.unlink(missing_ok=True)  # the part is "missing" while it is replaced
            os.replace(temp, target)
            etag_temp = folder / f"{number:05d}.etag.{uuid.uuid4().hex}"  # unique: parts may race
            etag_temp.write_text(md5_hex, encoding="ascii")
            os.replace(etag_temp, etag_file)
            return UploadedPart(number, quoted_etag(md5_hex), target.stat().st_size)
        except FileNotFoundError:  # aborted or completed meanwhile
            raise NoSuchUpload(f"no multipart upload {upload_id!r}") from None
        finally:
            temp.unlink(missing_ok=True)

    def complete_multipart(self, key: str, upload_id: str, parts: list[UploadedPart]) -> None:
        """Join the parts in order into the object, then forget the upload."""
        folder = self._upload_dir(key, upload_id)
        files = self._checked_parts(key, folder, parts)
        try:
            joined = self._write_temp("join-", files)
        except FileNotFoundError as exc:  # completed or aborted meanwhile
            raise NoSuchUpload(f"no multipart upload {upload_id!r}") from exc
        self.commit_object(joined, key)
        shutil.rmtree(folder, ignore_errors=True)

    def _write_temp(self, prefix: str, pieces: Iterable[bytes | Path]) -> Path:
        """A new file in ``tmp_dir`` holding ``pieces`` in order (bytes, or files' contents).

        Raises ``FileNotFoundError`` for a missing file, ``StorageError`` for other failures.
        """
        with self.temp_file(prefix) as out:
            temp = Path(out.name)
            try:
                for piece in pieces:
                    if isinstance(piece, bytes):
                        out.write(piece)
                        continue
                    with piece.open("rb") as source:
                        shutil.copyfileobj(source, out, COPY_CHUNK)
            except BaseException as exc:
                temp.unlink(missing_ok=True)
                if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
                    raise StorageError(f"writing under {self.tmp_dir} failed: {exc}") from exc
                raise
        return temp

    def _checked_parts(self, key: str, folder: Path, parts: list[UploadedPart]) -> list[Path]:
        """The part files for ``parts`` in order; ``InvalidPart`` as S3 would refuse them."""
        ordered = sorted(parts, key=lambda part: part.number)
        if not ordered or len({p.number for p in ordered}) != len(ordered):
            raise InvalidPart("completing needs at least one part and no part number twice")
        held = {p.number: p for p in self.list_parts(key, folder.name)}
        files: list[Path] = []
        for index, part in enumerate(ordered):
            have = held.get(part.number)
            if have is None or bare_etag(have.etag) != bare_etag(part.etag):
                raise InvalidPart(f"part {part.number} is missing or its ETag does not match")
            if have.size < S3_MIN_PART and index < len(ordered) - 1:
                raise InvalidPart(f"part {part.number} is {have.size} bytes: all but the last "
                                  f"must be at least {S3_MIN_PART}")
            files.append(folder / f"{part.number:05d}")
        return files

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the upload and its parts; an unknown upload is fine (idempotent)."""
        try:
            folder = self._upload_dir(key, upload_id)
        except NoSuchUpload:
            return
        shutil.rmtree(folder, ignore_errors=True)

    # -- objects ---------------------------------------------------------------------

    def object_file(self, key: str) -> Path:
        """Where object ``key`` lives (whether or not it exists); ``ValueError`` for a bad key."""
        return self.objects_dir / validate_key(key)

    def temp_file(self, prefix: str = "put-") -> IO[bytes]:
        """A new, open, empty file in ``tmp_dir``, locked while it is open (``tempfiles``); the caller
        commits or deletes it."""
        try:
            return tempfiles.open_locked(self.tmp_dir, prefix)
        except OSError as exc:
            raise StorageError(f"creating a file under {self.tmp_dir} failed: {exc}") from exc

    def remove_stale_temp(self, older_than: float, limit: int) -> int:
        """Delete up to ``limit`` files of ``tmp_dir`` left by a process that died (unchanged for
        ``older_than`` seconds and not open for writing); returns how many went."""
        try:
            return tempfiles.remove_stale(self.tmp_dir, older_than, limit)
        except OSError as exc:
            raise StorageError(f"removing stale files under {self.tmp_dir} failed: {exc}") from exc

    def commit_object(self, temp: Path, key: str, replace: bool = True) -> ObjectInfo:
        """Make the written file ``temp`` (in ``tmp_dir``, closed) object ``key``, atomically;
        ``replace=False``: only if there is none (``FileExistsError`` otherwise)."""
        try:
            target = self.object_file(key)
            _fsync(temp)
            _move_into(temp, target, replace)
            stat = target.stat()
        except FileExistsError:
            raise
        except OSError as exc:
            raise StorageError(f"writing object {key!r} failed: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)
        return ObjectInfo(key=key, size=stat.st_size, etag=object_etag(stat))

    def head(self, key: str) -> ObjectInfo | None:
        try:
            stat = self.object_file(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not S_ISREG(stat.st_mode):
            return None
        return ObjectInfo(key=key, size=stat.st_size, etag=object_etag(stat))

    def presign_get(self, key: str, expires_in: int, filename: str | None = None) -> str:
        """A GET to the API; with ``filename`` the download is an attachment of that name."""
        validate_key(key)
        signed = Signed("GET", signing.object_path(key), self._expires(expires_in), filename=filename or None)
        return self._url(signed)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Write a whole object (``content_type`` is not kept: GET guesses it from the name)."""
        self.object_file(key)
        self.commit_object(self._write_temp("put-", [data]), key)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self.object_file(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise StorageError(f"reading object {key!r} failed: no such object") from exc
        except OSError as exc:
            raise StorageError(f"reading object {key!r} failed: {exc}") from exc

    # -- clean-up --------------------------------------------------------------------

    def delete_prefix(self, prefix: str) -> int:
        """Drop the multipart uploads and delete the objects whose keys start with ``prefix``
        (a plain string prefix, as in S3). Returns how many objects went."""
        if not prefix:
            raise ValueError("refusing to delete with an empty prefix (everything)")
        validate_key(prefix.removesuffix("/"))
        for upload_id, key in list(self._uploads()):
            if key.startswith(prefix):
                shutil.rmtree(self.multipart_dir / upload_id, ignore_errors=True)
        base = self.objects_dir / prefix.rpartition("/")[0]
        deleted = 0
        for path in _files_under(base):
            if path.relative_to(self.objects_dir).as_posix().startswith(prefix):
                path.unlink(missing_ok=True)
                deleted += 1
        _prune_empty(base, stop=self.objects_dir)
        return deleted

    def list_objects(self, prefix: str, limit: int = 1000) -> list[ListedObject]:
        """Files under ``prefix`` (a plain string prefix, as in S3), in key order. A file some other
        program is still writing in place is listed too: its size and ETag change until it is done."""
        base = self.objects_dir / prefix.rpartition("/")[0]
        found: list[ListedObject] = []
        for path in _files_under(base):
            key = path.relative_to(self.objects_dir).as_posix()
            if not key.startswith(prefix):
                continue
            try:
                stat = path.stat()
            except OSError:  # gone meanwhile
                continue
            found.append(ListedObject(key=key, size=stat.st_size, etag=bare_etag(object_etag(stat)),
                                      last_modified=datetime.fromtimestamp(stat.st_mtime, UTC)))
        return sorted(found, key=lambda item: item.key)[:limit]

    def copy_object(self, source: str, target: str) -> ObjectInfo:
        try:
            temp = self._write_temp("copy-", [self.object_file(source)])
        except FileNotFoundError as exc:
            raise StorageError(f"copying object {source!r} failed: no such object") from exc
        return self.commit_object(temp, target)

    def _uploads(self) -> Iterator[tuple[str, str]]:
        for folder in self.multipart_dir.iterdir():
            try:
                yield folder.name, self.upload_key(folder.name)
            except StorageError:  # not an upload, or gone meanwhile
                continue

    # -- closed prefixes -------------------------------------------------------------

    def close_uploads(self, prefix: str) -> None:
        """No signed PUT may write under ``prefix`` (a key, or a folder ending in ``/``) any more:
        a marker the PUT routes check, kept until every URL signed before now has expired."""
        validate_key(prefix.removesuffix("/"))
        marker = self.closed_dir / _marker_name(prefix)
        try:
            marker.write_text(json.dumps({"prefix": prefix, "closed_at": self.clock()}), "utf-8")
        except OSError as exc:
            raise StorageError(f"closing uploads under {prefix!r} failed: {exc}") from exc
        self._forget_old_markers()

    def uploads_closed(self, key: str) -> bool:
        """Whether ``key`` or a folder above it was closed to signed PUTs."""
        return any((self.closed_dir / _marker_name(prefix)).exists() for prefix in _prefixes_of(key))

    def _forget_old_markers(self) -> None:
        """Markers older than the longest URL lifetime guard nothing: no URL signed before is valid."""
        oldest = self.clock() - MAX_PRESIGN_SECONDS
        for marker in self.closed_dir.iterdir():
            with contextlib.suppress(OSError):
                if marker.stat().st_mtime < oldest:
                    marker.unlink()

    # -- readiness -------------------------------------------------------------------

    def check(self) -> None:
        """Raise ``StorageError`` unless the folders are there and a file can be written."""
        try:
            for folder in (self.objects_dir, self.multipart_dir, self.tmp_dir):
                if not folder.is_dir():
                    raise StorageError(f"storage not usable: {folder} is not a folder")
            with self.temp_file("check-") as probe:
                probe.write(b"ok")
            os.unlink(probe.name)
        except OSError as exc:
            raise StorageError(f"storage not usable: cannot write under {self.root}: {exc}") from exc


def _move_into(temp: Path, target: Path, replace: bool = True) -> None:
    """Rename ``temp`` to ``target``, making its folders (again, if pruned meanwhile); without
    ``replace``, a hard link that fails with ``FileExistsError`` when ``target`` exists."""
    for attempt in (1, 2):  # a concurrent delete_prefix may prune the new folder in between
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if replace:
                os.replace(temp, target)
            else:
                os.link(temp, target)
                temp.unlink()
            return
        except FileNotFoundError:
            if attempt == 2 or not temp.exists():
                raise


def _marker_name(prefix: str) -> str:
    return hashlib.sha256(prefix.encode("utf-8")).hexdigest()


def _prefixes_of(key: str) -> Iterator[str]:
    """Every folder above ``key`` (``a/``, ``a/b/``...) and the key itself."""
    for index, char in enumerate(key):
        if char == "/":
            yield key[:index + 1]
    yield key


def _files_under(base: Path) -> Iterator[Path]:
    """Every file under ``base`` (symbolic links not followed); nothing when it is absent."""
    for dirpath, _dirnames, filenames in os.walk(base):
        for name in filenames:
            yield Path(dirpath) / name


def _prune_empty(base: Path, stop: Path) -> None:
    """Remove empty folders under and at ``base``, and empty parents up to ``stop``."""
    for dirpath, _dirnames, _filenames in os.walk(base, topdown=False):
        folder = Path(dirpath)
        if folder != stop:
            with contextlib.suppress(OSError):  # not empty
                folder.rmdir()
    parent = base.parent
    while parent != stop and stop in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
