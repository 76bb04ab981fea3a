"""Uploading a plate the way production does: presigned URLs straight to storage.

Small files go in one PUT; large ones in parts sent in parallel, each retried with
back-off. The plate id is remembered per file (``resume.py``), so running the same
command again after an interruption sends only the parts the storage does not hold.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.client.resume import ResumeState
from api.client.session import ApiClient, ApiError, problem_error, unreachable

Advance = Callable[[int], None]
_CHUNK = 1024 * 1024
_DONE_STATES = {"uploaded", "queued", "running", "succeeded"}
OBJECT_EXISTS = 412  # a single PUT creates the source, never replaces it
UPLOAD_CLOSED = 410
FINAL_STATUSES = (400, 404, 410, OBJECT_EXISTS, 413)  # sending again cannot help


@dataclass
class UploadResult:
    plate: dict[str, Any]
    resumed: bool
    parts_sent: int


@dataclass(frozen=True)
class Transfer:
    """How parts travel: parallelism and retries."""

    workers: int = 4
    retries: int = 5
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    timeout: float = 300.0


def sha256_of(path: Path, advance: Advance | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK * 8):
            digest.update(chunk)
            if advance:
                advance(len(chunk))
    return digest.hexdigest()


def _file_range(path: Path, offset: int, size: int, advance: Advance | None) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(offset)
        left = size
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                raise OSError(f"{path} is shorter than when the upload started")
            left -= len(chunk)
            if advance:
                advance(len(chunk))
            yield chunk


def _put(http: httpx.Client, request: dict[str, Any], path: Path, offset: int, size: int,
         advance: Advance | None) -> str:
    headers = {**request.get("headers", {}), "Content-Length": str(size)}
    try:
        response = http.request(request["method"], request["url"], headers=headers,
                                content=_file_range(path, offset, size, advance))
    except httpx.HTTPError as exc:  # the storage refused the connection, timed out...: exit 75
        raise unreachable(request["url"], exc) from exc
    if response.status_code >= 300:
        raise problem_error(response)
    return str(response.headers.get("ETag", ""))


class Uploader:
    """Sends one file's bytes for one plate, then completes its upload."""

    def __init__(self, client: ApiClient, path: Path, transfer: Transfer,
                 advance: Advance | None = None) -> None:
        self.client, self.path, self.transfer, self.advance = client, path, transfer, advance
        self.http = httpx.Client(timeout=transfer.timeout)

    def _retrying(self, send: Callable[[], str], refresh: Callable[[], dict[str, Any]]) -> str:
        """Send with retries; an expired or refused URL is fetched afresh before retrying."""
        delay = self.transfer.backoff
        for attempt in range(self.transfer.retries + 1):
            try:
                return send()
            except ApiError as exc:
                final = attempt == self.transfer.retries
                if final or exc.status in FINAL_STATUSES:
                    raise
                if exc.status == 403:
                    refresh()
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def single(self, plate_id: str, instructions: dict[str, Any]) -> int:
        box = {"put": instructions["put"]}

        def refresh() -> dict[str, Any]:
            box["put"] = self.client.call("GET", f"/plates/{plate_id}/upload")["put"]
            return box

        try:
            self._retrying(lambda: _put(self.http, box["put"], self.path, 0, instructions["size"],
                                        self.advance), refresh)
        except ApiError as exc:
            if exc.status != OBJECT_EXISTS:
                raise
            return 0  # stored by an earlier try whose answer was lost: completing checks it
        return 1

    def parts(self, plate_id: str, instructions: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """Send every missing part; returns all parts (number, etag) and how many were sent."""
        done = {p["number"]: p["etag"] for p in instructions["uploaded_parts"]}
        if self.advance:
            self.advance(sum(p["size"] for p in instructions["uploaded_parts"]))
        todo = list(_missing_parts(self.client, plate_id, instructions))
        with ThreadPoolExecutor(max_workers=self.transfer.workers) as pool:
            etags = pool.map(lambda part: self._part(plate_id, instructions, part), todo)
            for part, etag in zip(todo, etags, strict=True):
                done[part["number"]] = etag
        return [{"number": n, "etag": e} for n, e in sorted(done.items())], len(todo)

    def _part(self, plate_id: str, instructions: dict[str, Any], part: dict[str, Any]) -> str:
        box = {"req": part}
        offset = (part["number"] - 1) * instructions["part_size"]

        def refresh() -> dict[str, Any]:
            page = self.client.call("GET", f"/plates/{plate_id}/upload",
                                    params={"from_part": part["number"], "limit": 1})
            box["req"] = page["parts"][0]
            return box

        return self._retrying(lambda: _put(self.http, box["req"], self.path, offset,
                                           part["size"], self.advance), refresh)


def _missing_parts(client: ApiClient, plate_id: str,
                   instructions: dict[str, Any]) -> Iterator[dict[str, Any]]:
    page = instructions
    while True:
        yield from page["parts"]
        if not page.get("next_part"):
            return
        page = client.call("GET", f"/plates/{plate_id}/upload",
                           params={"from_part": page["next_part"]})


def start_or_resume(client: ApiClient, path: Path, project: str, state: ResumeState,
                    sha256: Callable[[], str | None], declared: dict[str, Any] | None = None,
                    ) -> tuple[dict[str, Any], dict[str, Any] | None, bool]:
    """(plate, upload instructions or None when already uploaded, whether it resumed); ``declared``:
    more fields of a new plate (reel, version, kind, handles)."""
    known = state.get(client.config.url, path)
    if known:
        try:
            plate = client.call("GET", f"/plates/{known}")
        except ApiError as exc:
            if exc.status != 404:
                raise
            plate = None
        if plate and plate["state"] in _DONE_STATES:
            return plate, None, True
        if plate and plate["state"] == "awaiting_upload":
            return plate, client.call("GET", f"/plates/{known}/upload"), True
    body = {"name": path.name, "project": project, "size": path.stat().st_size,
            "sha256": sha256(), **(declared or {})}
    created = client.call("POST", "/plates", json=body)
    state.put(client.config.url, path, created["plate"]["id"])
    return created["plate"], created["upload"], False


def upload_plate(client: ApiClient, path: Path, project: str, state: ResumeState,
                 transfer: Transfer = Transfer(), sha256: Callable[[], str | None] = lambda: None,
                 advance: Advance | None = None, declared: dict[str, Any] | None = None) -> UploadResult:
    """Upload ``path`` as a plate of ``project``, resuming an earlier attempt of this file."""
    plate, instructions, resumed = start_or_resume(client, path, project, state, sha256, declared)
    if instructions is None:
        return UploadResult(plate, resumed, 0)
    uploader = Uploader(client, path, transfer, advance)
    plate_id = plate["id"]
    if instructions["kind"] == "single":
        sent, body = uploader.single(plate_id, instructions), None
    else:
        parts, sent = uploader.parts(plate_id, instructions)
        body = {"parts": parts}
    plate = client.call("POST", f"/plates/{plate_id}/upload/complete", json=body)
    state.drop(client.config.url, path)
    return UploadResult(plate, resumed, sent)
