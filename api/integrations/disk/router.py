"""The storage routes of ``DiskStorage``: signed PUT/GET of objects, PUT of parts.

The URLs ``DiskStorage`` presigns point here. Every request is checked against its
HMAC signature (``signing.py``) before anything is read or written; a bad or expired
one is a 403 problem (``code`` ``signature_invalid`` / ``signature_expired``).
Bodies are streamed to a temporary file in 1 MiB writes off the event loop, never held
whole in memory, and renamed into place only once complete and as signed.

Problem codes: 400 ``invalid_key``, ``body_too_small``, ``checksum_mismatch``,
``client_disconnected``; 403 ``signature_invalid``, ``signature_expired``; 404 ``not_found``,
``no_such_upload``; 408 ``body_timeout`` (the body stalled); 410 ``upload_closed`` (the upload was
completed, aborted or its plate deleted); 412 ``object_exists`` (a signed PUT creates an object,
never replaces one); 413 ``body_too_large``; 503 ``storage_unavailable``.
Success: 200 with the ``ETag`` header (browsers need it in ``Access-Control-Expose-Headers``).

Wiring, in the app factory (``get_disk_storage`` raises until it is overridden)::

    from api.integrations.disk.router import get_disk_storage, router as storage_router

    app.include_router(storage_router)
    app.dependency_overrides[get_disk_storage] = lambda: storage  # the app's DiskStorage
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from api.integrations.disk import signing
from api.integrations.disk.signing import SignatureError, Signed
from api.integrations.disk.storage import UPLOAD_ID, DiskStorage, object_etag, validate_key
from api.integrations.storage import MAX_PARTS, MAX_SINGLE_PUT, NoSuchUpload, StorageError
from api.observability.logging import log_failure
from api.problem_handlers import PROBLEM_RESPONSES, problem_response

WRITE_CHUNK = 1024 * 1024  # bytes gathered before one write to disk
log = logging.getLogger(__name__)

router = APIRouter(prefix=signing.PREFIX, tags=["storage"], responses=PROBLEM_RESPONSES)


def get_disk_storage() -> DiskStorage:
    """The app's ``DiskStorage``: override with ``app.dependency_overrides[get_disk_storage]``."""
    raise RuntimeError("storage routes are not wired: set "
                       "app.dependency_overrides[get_disk_storage] = lambda: storage")


Disk = Annotated[DiskStorage, Depends(get_disk_storage)]


class Problem(Exception):
    """A problem document the route answers with, in the API's shape (``problem_response``).

    The routes answer their problems themselves rather than through the app's exception
    handlers, so they behave the same in any app that includes them.
    """

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def response(self) -> JSONResponse:
        return problem_response(self.status, self.detail, self.code)


@dataclass
class Received:
    """A body written to ``temp``: its size and, when asked for, its digest (hex)."""

    temp: Path
    algorithm: str | None = None  # "md5", "sha256" or None (no digest: saves CPU)
    size: int = 0
    hasher: Any = None

    def __post_init__(self) -> None:
        if self.algorithm:
            self.hasher = hashlib.new(self.algorithm)

    def write(self, out: IO[bytes], data: bytes) -> None:
        out.write(data)
        if self.hasher is not None:
            self.hasher.update(data)

    def hexdigest(self) -> str:
        return str(self.hasher.hexdigest()) if self.hasher is not None else ""


def _checked_key(key: str) -> str:
    try:
        return validate_key(key)
    except ValueError as exc:
        raise Problem(400, "invalid_key", str(exc)) from exc


def _verified(storage: DiskStorage, method: str, path: str, request: Request) -> Signed:
    """The signed claims of ``request``; ``Problem`` 403 unless its signature holds."""
    try:
        signed, signature = signing.from_query(method, path, request.query_params)
        storage.verify(signed, signature)
    except SignatureError as exc:
        raise Problem(403, exc.code, str(exc)) from exc
    return signed


def _too_large(limit: int) -> Problem:
    return Problem(413, "body_too_large", f"the body is larger than the {limit} bytes signed for")


def _or_largest(size: int | None) -> int:
    return MAX_SINGLE_PUT if size is None else size


def _check_not_short(received: Received, size: int | None) -> None:
    """``Problem`` 400 when the body is shorter than the ``size`` signed for (None: any size); its
    temporary file is deleted then."""
    if size is not None and received.size < size:
        received.temp.unlink(missing_ok=True)
        raise Problem(400, "body_too_small", f"the body is {received.size} bytes, {size} were signed for")


async def _receive(request: Request, storage: DiskStorage, limit: int, algorithm: str | None) -> Received:
    """Stream the body into a new temporary file, hashing it with ``algorithm`` when given;
    ``Problem`` 413 past ``limit`` bytes.

    The file is deleted when anything fails; on success the caller owns it.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    out = await run_in_threadpool(storage.temp_file)
    received = Received(Path(out.name), algorithm)
    try:
        buffer = bytearray()
        async for chunk in _until_idle(request.stream(), storage.body_idle_seconds):
            received.size += len(chunk)
            if received.size > limit:
                raise _too_large(limit)
            buffer += chunk
            if len(buffer) >= WRITE_CHUNK:
                await run_in_threadpool(received.write, out, bytes(buffer))
                buffer.clear()
        await run_in_threadpool(received.write, out, bytes(buffer))
        await run_in_threadpool(out.close)
    except BaseException:
        out.close()
        received.temp.unlink(missing_ok=True)
        raise
    return received


async def _until_idle(chunks: AsyncIterator[bytes], idle_seconds: float) -> AsyncIterator[bytes]:
    """The body's chunks; ``Problem`` 408 when none comes for ``idle_seconds`` (a stalled client
    would otherwise hold its connection and a temporary file for ever)."""
    iterator = aiter(chunks)
    while True:
        try:
            chunk = await asyncio.wait_for(anext(iterator), idle_seconds)
        except StopAsyncIteration:
            return
        except TimeoutError as exc:
            raise Problem(408, "body_timeout", f"no body bytes came for {idle_seconds:g} s") from exc
        yield chunk


async def _answer(handler: Callable[..., Awaitable[Response]], *args: Any) -> Response:
    """Run a route's body; its ``Problem``s and storage failures become problem responses."""
    try:
        return await handler(*args)
    except Problem as problem:
        return problem.response()
    except ClientDisconnect:  # gone mid-body: nobody reads the answer, the temp file is gone
        return Problem(400, "client_disconnected", "the client left before the end of the body").response()
    except (StorageError, OSError) as exc:  # its text (paths) goes to the log, not to the client
        log_failure(log, "disk storage failed", exc)
        return Problem(503, "storage_unavailable", "The storage failed; try again later.").response()


@router.put("/objects/{key:path}", summary="Upload an object to a signed URL")
async def put_object(key: str, request: Request, storage: Disk) -> Response:
    """The body must be exactly the signed size (413 when more, 400 when less) and match
    the signed SHA-256 when there is one; answers 200 with the object's ``ETag``."""
    return await _answer(_put_object, key, request, storage)


async def _put_object(key: str, request: Request, storage: DiskStorage) -> Response:
    signed = _verified(storage, "PUT", signing.object_path(_checked_key(key)), request)
    if signed.size is None:
        raise Problem(403, "signature_invalid", "this URL is not for uploading an object")
    await run_in_threadpool(_check_writable, storage, key)
    received = await _receive(request, storage, signed.size, "sha256" if signed.sha256_hex else None)
    try:
        _check_not_short(received, signed.size)
        if signed.sha256_hex is not None and received.hexdigest() != signed.sha256_hex:
            raise Problem(400, "checksum_mismatch", "the body's SHA-256 is not the one signed for")
        await run_in_threadpool(_check_writable, storage, key)  # closed while the body came in
        info = await run_in_threadpool(storage.commit_object, received.temp, key, False)
    except FileExistsError as exc:
        raise _exists(key) from exc
    finally:
        received.temp.unlink(missing_ok=True)
    return Response(status_code=200, headers={"ETag": info.etag})


def _check_writable(storage: DiskStorage, key: str) -> None:
    if storage.uploads_closed(key):
        raise Problem(410, "upload_closed", "this upload is over (completed, aborted, or its plate "
                                            "deleted): its URLs write nothing any more")
    if storage.head(key) is not None:
        raise _exists(key)


def _exists(key: str) -> Problem:
    return Problem(412, "object_exists", f"object {key!r} exists: a signed PUT never replaces one")


@router.get("/objects/{key:path}", summary="Download an object from a signed URL",
            response_class=FileResponse)
async def get_object(key: str, request: Request, storage: Disk) -> Response:
    """The object's bytes (Range requests work); an attachment when a filename was signed."""
    return await _answer(_get_object, key, request, storage)


async def _get_object(key: str, request: Request, storage: DiskStorage) -> Response:
    signed = _verified(storage, "GET", signing.object_path(_checked_key(key)), request)
    path = storage.object_file(key)
    try:
        stat = await run_in_threadpool(os.stat, path)
    except (FileNotFoundError, NotADirectoryError):
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        raise Problem(404, "not_found", f"there is no object {key!r}")
    return FileResponse(path, stat_result=stat, filename=signed.filename, headers={"ETag": object_etag(stat)})


@router.put("/multipart/{upload_id}/parts/{number}", summary="Upload one part to a signed URL")
async def put_part(upload_id: str, number: int, request: Request, storage: Disk) -> Response:
    """Store part ``number`` (replacing an earlier one); the body must be exactly the signed size
    (413 when more, 400 when less); answers 200 with its ``ETag``."""
    return await _answer(_put_part, upload_id, number, request, storage)


async def _put_part(upload_id: str, number: int, request: Request, storage: DiskStorage) -> Response:
    if not UPLOAD_ID.fullmatch(upload_id) or not 1 <= number <= MAX_PARTS:
        raise Problem(404, "no_such_upload", "no such upload or part number")
    signed = _verified(storage, "PUT", signing.part_path(upload_id, number), request)
    try:
        storage.upload_key(upload_id)
        # a URL signed before part sizes were signed carries none: S3's limit for a part then
        received = await _receive(request, storage, _or_largest(signed.size), "md5")
        _check_not_short(received, signed.size)
        part = await run_in_threadpool(storage.commit_part, received.temp, upload_id, number,
                                       received.hexdigest())
    except NoSuchUpload as exc:
        raise Problem(404, "no_such_upload", str(exc)) from exc
    return Response(status_code=200, headers={"ETag": part.etag})

