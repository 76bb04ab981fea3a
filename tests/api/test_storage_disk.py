"""DiskStorage and its routes over real HTTP: uvicorn on loopback, httpx as the client."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.integrations.disk import DiskStorage
from api.integrations.disk.router import router
from api.integrations.storage import InvalidPart, NoSuchUpload, PresignedRequest, StorageError, UploadedPart

if TYPE_CHECKING:
    from tests.api.storage_fixtures import DiskServer

pytest_plugins = ["tests.api.storage_fixtures"]

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
# a server killed (SIGKILL) while it receives a body: its temporary file stays behind
KILLED_MID_RECEIVE = """
import os, sys
from api.integrations.disk import DiskStorage
out = DiskStorage(sys.argv[1], "http://127.0.0.1:1", sys.argv[2]).temp_file()
out.write(b"half a body")
out.flush()
os.kill(os.getpid(), 9)
"""


def send(request: PresignedRequest, body: bytes | Iterator[bytes]) -> httpx.Response:
    """What a browser or curl does with a presigned request: its URL, its headers, the body."""
    return httpx.request(request.method, request.url, headers=request.headers, content=body, timeout=60)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def with_query(url: str, **changes: str | None) -> str:
    """``url`` with query parameters replaced (or removed, for None)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return parts._replace(query=urlencode(params)).geturl()


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    assert body["type"] == f"urn:platecut:problem:{code}" and body["title"]


def leftovers(storage: DiskStorage) -> list[Path]:
    return list(storage.tmp_dir.iterdir())


def upload_part(storage: DiskStorage, key: str, upload_id: str, number: int, data: bytes) -> str:
    response = send(storage.presign_part(key, upload_id, number, 600, size=len(data)), data)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def test_presigned_put_then_head_and_download(disk_server: DiskServer) -> None:
    storage, body = disk_server.storage, os.urandom(300_000)
    request = storage.presign_put("plates/p1/a.mov", len(body), 600, sha256_hex=sha256(body))
    assert request.url.startswith(f"{disk_server.base_url}/api/v1/storage/objects/plates/p1/a.mov?")
    assert request.headers == {"Content-Length": str(len(body)), "If-None-Match": "*"}

    response = send(request, body)
    assert response.status_code == 200, response.text
    info = storage.head("plates/p1/a.mov")
    assert info is not None and info.size == len(body) and info.etag == response.headers["etag"]
    assert storage.head("plates/p1/missing.mov") is None

    download = httpx.get(storage.presign_get("plates/p1/a.mov", 600, filename="plate été.mov"))
    assert download.status_code == 200 and sha256(download.content) == sha256(body)
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''plate%20%C3%A9t%C3%A9.mov"
    assert download.headers["etag"] == info.etag
    ranged = httpx.get(storage.presign_get("plates/p1/a.mov", 600), headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and ranged.content == body[100:200]
    assert "content-disposition" not in ranged.headers
    assert leftovers(storage) == []


def test_a_streamed_body_of_unknown_length_is_written_whole(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    body = os.urandom(12 * MiB + 17)

    def chunks() -> Iterator[bytes]:  # chunked transfer encoding: no Content-Length
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    request = storage.presign_put("plates/p1/streamed.mov", len(body), 600, sha256_hex=sha256(body))
    response = httpx.put(request.url, content=chunks(), timeout=60)
    assert response.status_code == 200, response.text
    assert storage.object_file("plates/p1/streamed.mov").read_bytes() == body


def test_oversize_body_is_413_and_writes_nothing(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    request = storage.presign_put("plates/p1/over.bin", 100, 600)
    assert_problem(httpx.put(request.url, content=b"x" * 150), 413, "body_too_large")  # by Content-Length
    assert_problem(httpx.put(request.url, content=iter([b"x" * 60, b"x" * 60])), 413, "body_too_large")
    assert storage.head("plates/p1/over.bin") is None
    assert leftovers(storage) == []


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_client_leaving_mid_body_leaves_nothing(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    url = urlsplit(storage.presign_put("plates/p1/cut.bin", 10 * MiB, 600).url)
    with socket.create_connection((url.hostname or "", url.port or 80)) as conn:
        conn.sendall(f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                     f"Content-Length: {10 * MiB}\r\n\r\n".encode() + b"x" * (3 * MiB))
        assert wait_for(lambda: any(p.stat().st_size > 0 for p in leftovers(storage))), "no body received"
    assert wait_for(lambda: leftovers(storage) == []), "the partial body was left behind"
    assert storage.head("plates/p1/cut.bin") is None


def test_short_body_or_wrong_checksum_is_400_and_writes_nothing(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    short = storage.presign_put("plates/p1/short.bin", 100, 600)
    assert_problem(httpx.put(short.url, content=iter([b"x" * 60])), 400, "body_too_small")
    signed = storage.presign_put("plates/p1/sum.bin", 3, 600, sha256_hex=sha256(b"abc"))
    assert_problem(send(signed, b"abd"), 400, "checksum_mismatch")
    assert storage.head("plates/p1/short.bin") is None and storage.head("plates/p1/sum.bin") is None
    assert send(signed, b"abc").status_code == 200
    assert leftovers(storage) == []


def test_expired_urls_are_403_signature_expired(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    an_hour_ago = DiskStorage(storage.root, disk_server.base_url, disk_server.secret,
                              clock=lambda: time.time() - 3600)
    assert_problem(send(an_hour_ago.presign_put("old/a.bin", 3, 600), b"abc"), 403, "signature_expired")
    storage.put_bytes("old/b.bin", b"abc", "application/octet-stream")
    assert_problem(httpx.get(an_hour_ago.presign_get("old/b.bin", 600)), 403, "signature_expired")
    upload_id = storage.create_multipart("old/c.bin")
    part = an_hour_ago.presign_part("old/c.bin", upload_id, 1, 600, size=3)
    assert_problem(send(part, b"abc"), 403, "signature_expired")
    assert storage.head("old/a.bin") is None and storage.list_parts("old/c.bin", upload_id) == []


def test_tampered_urls_are_403_signature_invalid(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    request = storage.presign_put("plates/p1/t.bin", 3, 600)
    expires = str(int(time.time()) + 7200)
    signature = dict(parse_qsl(urlsplit(request.url).query))["signature"]
    forged = [
        with_query(request.url, size="4"),
        with_query(request.url, expires=expires),
        with_query(request.url, signature=signature[:-1] + ("0" if signature[-1] != "0" else "1")),
        with_query(request.url, signature=None),
        with_query(request.url, sha256=sha256(b"abc")),
        request.url.replace("/t.bin?", "/u.bin?"),
    ]
    for url in forged:
        assert_problem(httpx.put(url, content=b"abc"), 403, "signature_invalid")
    assert_problem(httpx.put(storage.presign_get("plates/p1/t.bin", 600), content=b"abc"),
                   403, "signature_invalid")  # a GET URL does not allow a PUT
    storage.put_bytes("plates/p1/g.bin", b"abc", "application/octet-stream")
    get_url = storage.presign_get("plates/p1/g.bin", 600)
    assert_problem(httpx.get(with_query(get_url, filename="evil.exe")), 403, "signature_invalid")
    assert storage.head("plates/p1/t.bin") is None and storage.head("plates/p1/u.bin") is None


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a\\b", "a\x00b", "a//b", "a/./b",
                                 "a/", "", "x" * 1025])
def test_unsafe_keys_are_refused(disk_server: DiskServer, key: str) -> None:
    storage = disk_server.storage
    with pytest.raises(ValueError):
        storage.presign_put(key, 1, 60)
    with pytest.raises(ValueError):
        storage.put_bytes(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        storage.create_multipart(key)


def test_traversal_in_a_url_is_400_and_reaches_nothing(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    outside = storage.root / "secret.txt"
    outside.write_text("do not serve")
    query = urlencode({"size": "3", "expires": str(int(time.time()) + 60), "signature": "0" * 64})
    base = f"{disk_server.base_url}/api/v1/storage/objects"
    for path in ("..%2Fsecret.txt", "%2e%2e/secret.txt", "a/%2E%2E/%2e%2e/secret.txt", "a%5Cb"):
        assert_problem(httpx.get(f"{base}/{path}?{query}"), 400, "invalid_key")
        assert_problem(httpx.put(f"{base}/{path}?{query}", content=b"abc"), 400, "invalid_key")
    assert outside.read_text() == "do not serve"


def test_multipart_resume_complete_and_download(disk_server: DiskServer) -> None:
    storage, key = disk_server.storage, "plates/p2/big.mov"
    body = os.urandom(2 * 5 * MiB + MiB + 123)
    chunks = [body[: 5 * MiB], body[5 * MiB : 10 * MiB], body[10 * MiB :]]
    upload_id = storage.create_multipart(key)

    etags = {n: upload_part(storage, key, upload_id, n, chunks[n - 1]) for n in (1, 3)}
    assert etags[1] == f'"{hashlib.md5(chunks[0]).hexdigest()}"'
    listed = storage.list_parts(key, upload_id)  # what a resuming client is told
    assert [(p.number, p.size, p.etag) for p in listed] == [
        (1, 5 * MiB, etags[1]), (3, len(chunks[2]), etags[3])]
    etags[2] = upload_part(storage, key, upload_id, 2, chunks[1])
    parts = storage.list_parts(key, upload_id)
    assert [(p.number, p.etag) for p in parts] == [(n, etags[n]) for n in (1, 2, 3)]

    storage.complete_multipart(key, upload_id, list(reversed(parts)))
    info = storage.head(key)
    assert info is not None and info.size == len(body)
    download = httpx.get(storage.presign_get(key, 600), timeout=60)
    assert download.status_code == 200 and sha256(download.content) == sha256(body)
    with pytest.raises(NoSuchUpload):
        storage.list_parts(key, upload_id)  # completed uploads are gone
    assert not (storage.multipart_dir / upload_id).exists() and leftovers(storage) == []


def test_complete_refuses_parts_as_s3_would(disk_server: DiskServer) -> None:
    storage, key = disk_server.storage, "plates/p2/bad.mov"
    upload_id = storage.create_multipart(key)
    small = [upload_part(storage, key, upload_id, n, b"%d" % n * 10) for n in (1, 2)]
    with pytest.raises(InvalidPart, match="at least"):  # part 1 is not the last and under 5 MiB
        storage.complete_multipart(key, upload_id, [UploadedPart(1, small[0], 10),
                                                    UploadedPart(2, small[1], 10)])
    with pytest.raises(InvalidPart, match="ETag"):
        storage.complete_multipart(key, upload_id, [UploadedPart(2, '"' + "0" * 32 + '"', 10)])
    with pytest.raises(InvalidPart, match="ETag"):
        storage.complete_multipart(key, upload_id, [UploadedPart(3, small[0], 10)])
    with pytest.raises(InvalidPart):
        storage.complete_multipart(key, upload_id, [])
    with pytest.raises(NoSuchUpload):
        storage.complete_multipart("plates/p2/other.mov", upload_id, [UploadedPart(2, small[1], 10)])
    storage.complete_multipart(key, upload_id, [UploadedPart(2, small[1].strip('"'), 10)])  # one part
    assert storage.get_bytes(key) == b"2" * 10


def test_a_part_must_be_the_size_signed_for(disk_server: DiskServer) -> None:
    storage, key = disk_server.storage, "plates/p2/sized.mov"
    upload_id = storage.create_multipart(key)
    request = storage.presign_part(key, upload_id, 1, 600, size=1000)
    assert request.headers == {"Content-Length": "1000"}
    assert dict(parse_qsl(urlsplit(request.url).query))["size"] == "1000"
    assert_problem(httpx.put(request.url, content=b"a" * 1001), 413, "body_too_large")
    chunks = (b"a" * 500 for _ in range(3))  # no Content-Length: caught while it streams
    assert_problem(httpx.put(request.url, content=chunks), 413, "body_too_large")
    assert_problem(httpx.put(request.url, content=b"a" * 999), 400, "body_too_small")
    assert_problem(httpx.put(with_query(request.url, size="2000"), content=b"a" * 1001),
                   403, "signature_invalid")
    assert storage.list_parts(key, upload_id) == [] and leftovers(storage) == []
    assert send(request, b"a" * 1000).status_code == 200
    assert [(p.number, p.size) for p in storage.list_parts(key, upload_id)] == [(1, 1000)]
    with pytest.raises(ValueError, match="a part is"):
        storage.presign_part(key, upload_id, 2, 600, size=-1)


def killed_mid_receive(storage: DiskStorage, secret: bytes) -> Path:
    """The temporary file a killed server left in ``storage``."""
    before = set(leftovers(storage))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_RECEIVE, str(storage.root), secret.decode()],
                            env=env, timeout=60)
    assert killed.returncode == -9
    [left] = set(leftovers(storage)) - before
    return left


def _receiving(storage: DiskStorage, dead: Path) -> bool:
    """The receive's file is there and flock-ed by its writer, read from /proc/locks without taking
    the lock (a file seen the moment it is made may not be locked yet, and this test ages it at once:
    in use, an hour passes before the sweep would look at it)."""
    locked = {int(fields[5].rsplit(":", 1)[1]) for fields in
              (line.split() for line in Path("/proc/locks").read_text().splitlines())
              if len(fields) > 5 and fields[1] == "FLOCK"}
    for path in set(leftovers(storage)) - {dead}:
        try:
            if path.stat().st_ino in locked:
                return True
        except FileNotFoundError:
            continue
    return False


def test_stale_temp_files_of_a_dead_server_go_and_a_receive_in_progress_stays(
        disk_server: DiskServer) -> None:
    storage = disk_server.storage
    dead = killed_mid_receive(storage, disk_server.secret)
    assert dead.name.startswith("put-") and dead.read_bytes() == b"half a body"
    release, answers = threading.Event(), []

    def slow_body() -> Iterator[bytes]:  # a client that stalls for hours in the middle
        yield b"a" * 1000
        release.wait(60)
        yield b"a" * 1000

    request = storage.presign_put("plates/slow/slow.mov", 2000, 600)
    sender = threading.Thread(target=lambda: answers.append(send(request, slow_body())))
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while not _receiving(storage, dead) and time.monotonic() < deadline:
            time.sleep(0.02)
        [receiving] = set(leftovers(storage)) - {dead}
        fresh = storage.tmp_dir / "put-fresh"  # left just now: not stale yet
        fresh.write_bytes(b"x")
        hours_ago = time.time() - 7200
        for path in (dead, receiving):
            os.utime(path, (hours_ago, hours_ago))
        assert storage.remove_stale_temp(3600, limit=10) == 1
        assert not dead.exists() and receiving.exists() and fresh.exists()
        assert storage.remove_stale_temp(3600, limit=10) == 0  # twice: nothing more
    finally:
        release.set()
        sender.join(60)
    assert answers[0].status_code == 200, answers[0].text
    assert storage.get_bytes("plates/slow/slow.mov") == b"a" * 2000
    fresh.unlink()
    assert leftovers(storage) == []


def test_the_stale_temp_sweep_is_bounded(tmp_path: Path) -> None:
    storage = DiskStorage(tmp_path / "disk", "http://127.0.0.1:1", b"0123456789abcdef")
    hours_ago = time.time() - 7200
    for index in range(5):
        path = storage.tmp_dir / f"put-{index}"
        path.write_bytes(b"x")
        os.utime(path, (hours_ago, hours_ago))
    assert storage.remove_stale_temp(3600, limit=3) == 3
    assert len(leftovers(storage)) == 2
    assert storage.remove_stale_temp(3600, limit=3) == 2 and leftovers(storage) == []


def test_abort_then_list_parts_is_no_such_upload(disk_server: DiskServer) -> None:
    storage, key = disk_server.storage, "plates/p2/aborted.mov"
    upload_id = storage.create_multipart(key)
    upload_part(storage, key, upload_id, 1, b"a" * 1000)
    late = storage.presign_part(key, upload_id, 2, 600, size=10)
    storage.abort_multipart(key, upload_id)
    with pytest.raises(NoSuchUpload):
        storage.list_parts(key, upload_id)
    storage.abort_multipart(key, upload_id)  # idempotent
    assert_problem(send(late, b"b" * 10), 404, "no_such_upload")
    with pytest.raises(NoSuchUpload):
        storage.presign_part(key, upload_id, 2, 600, size=10)
    with pytest.raises(NoSuchUpload):
        storage.complete_multipart(key, upload_id, [UploadedPart(1, '"x"', 1000)])
    assert leftovers(storage) == []


def test_delete_prefix_deletes_objects_and_uploads(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    doomed = [f"plates/p3/{name}" for name in ("a", "b", "c/d", "c/e/f", "g.json")]
    kept = ["plates/p30/a", "plates/p4/a", "plates/p"]
    for key in doomed + kept:
        storage.put_bytes(key, key.encode(), "application/octet-stream")
    upload_id = storage.create_multipart("plates/p3/partial.mov")
    other_upload = storage.create_multipart("plates/p4/partial.mov")

    assert storage.delete_prefix("plates/p3/") == len(doomed)
    assert all(storage.head(key) is None for key in doomed)
    assert [storage.get_bytes(key) for key in kept] == [key.encode() for key in kept]
    with pytest.raises(NoSuchUpload):
        storage.list_parts("plates/p3/partial.mov", upload_id)
    assert storage.list_parts("plates/p4/partial.mov", other_upload) == []
    assert not (storage.objects_dir / "plates/p3").exists()
    assert storage.delete_prefix("plates/p3") == 1 + storage.delete_prefix("plates/nothing/")  # p30/a
    assert storage.head("plates/p30/a") is None and storage.head("plates/p") is not None
    with pytest.raises(ValueError, match="empty prefix"):
        storage.delete_prefix("")
    with pytest.raises(ValueError):
        storage.delete_prefix("../")


def test_put_and_get_bytes(disk_server: DiskServer) -> None:
    storage = disk_server.storage
    storage.put_bytes("runs/r1/manifest.json", b'{"ok": true}', "application/json")
    storage.put_bytes("runs/r1/manifest.json", b'{"ok": false}', "application/json")  # replaces
    assert storage.get_bytes("runs/r1/manifest.json") == b'{"ok": false}'
    with pytest.raises(StorageError, match="no such object"):
        storage.get_bytes("runs/r1/missing.json")
    with pytest.raises(StorageError, match="no such object"):
        storage.get_bytes("runs/r1/manifest.json/below")


def test_get_of_a_missing_object_is_404(disk_server: DiskServer) -> None:
    url = disk_server.storage.presign_get("nothing/here.bin", 60)
    assert_problem(httpx.get(url), 404, "not_found")


def test_check_passes_then_fails_when_the_folder_is_unusable(tmp_path: Path) -> None:
    storage = DiskStorage(tmp_path / "data", "http://127.0.0.1:1", "s" * 16)
    storage.check()
    storage.tmp_dir.rmdir()
    storage.tmp_dir.write_text("not a folder")
    with pytest.raises(StorageError, match="not a folder"):
        storage.check()


def test_constructor_refuses_a_short_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        DiskStorage(tmp_path, "http://x", "short")


def test_routes_without_the_override_fail_loudly(tmp_path: Path) -> None:
    app = FastAPI()
    app.include_router(router)
    storage = DiskStorage(tmp_path, "http://testserver", "s" * 16)
    with TestClient(app) as client, pytest.raises(RuntimeError, match="dependency_overrides"):
        client.get(storage.presign_get("a.bin", 60))


def test_a_stalled_body_is_dropped_with_its_temp_file(disk_server: DiskServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    storage = disk_server.storage
    monkeypatch.setattr(storage, "body_idle_seconds", 0.5)
    request = storage.presign_put("plates/p1/stalled.bin", 1000, 600)
    url = urlsplit(request.url)
    head = (f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 1000\r\n"
            "If-None-Match: *\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(head + b"x" * 100)  # then nothing more: the client stalls
        answer = sock.recv(65536).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 408") and "body_timeout" in answer
    assert leftovers(storage) == [] and storage.head("plates/p1/stalled.bin") is None
