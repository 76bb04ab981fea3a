"""S3Storage against a real S3-speaking HTTP server on loopback (moto's server mode).

Clients are played by plain httpx with nothing but the presigned URL and headers.
moto does not check signatures, so what is signed is asserted from the URL itself.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.integrations.s3 import S3Storage
from api.integrations.s3 import storage as s3_module
from api.integrations.storage import (
    InvalidPart,
    NoSuchUpload,
    PresignedRequest,
    StorageError,
    UploadedPart,
)

if TYPE_CHECKING:
    from tests.api.storage_fixtures import Moto, S3Factory

pytest_plugins = ["tests.api.storage_fixtures"]

MiB = 1024 * 1024


def send(request: PresignedRequest, body: bytes) -> httpx.Response:
    """What a browser or curl does with a presigned request: its URL, its headers, the body."""
    return httpx.request(request.method, request.url, headers=request.headers, content=body, timeout=60)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed_headers(url: str) -> set[str]:
    return set(parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0].split(";"))


def upload_part(s3: S3Storage, key: str, upload_id: str, number: int, data: bytes) -> str:
    response = send(s3.presign_part(key, upload_id, number, 600, size=len(data)), data)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def test_presigned_put_signs_length_and_checksum_then_head(s3: S3Storage) -> None:
    body = os.urandom(300_000)
    request = s3.presign_put("plates/p1/a.mov", len(body), 600, sha256_hex=sha256(body))

    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert request.method == "PUT"
    assert request.headers == {"Content-Length": str(len(body)), "x-amz-checksum-sha256": digest,
                               "If-None-Match": "*"}
    assert {"host", "content-length", "x-amz-checksum-sha256", "if-none-match"} <= signed_headers(request.url)
    response = send(request, body)
    assert response.status_code == 200, response.text
    info = s3.head("plates/p1/a.mov")
    assert info is not None
    assert (info.key, info.size, info.etag) == ("plates/p1/a.mov", len(body), response.headers["etag"])
    assert s3.head("plates/p1/missing.mov") is None


def test_presigned_put_without_checksum_still_signs_the_length(s3: S3Storage) -> None:
    body = b"x" * 1234
    request = s3.presign_put("small.bin", len(body), 60)
    assert request.headers == {"Content-Length": "1234", "If-None-Match": "*"}
    assert "content-length" in signed_headers(request.url)
    assert send(request, body).status_code == 200
    info = s3.head("small.bin")
    assert info is not None and info.size == 1234


def test_a_presigned_put_creates_and_never_replaces(s3: S3Storage) -> None:
    body, other = b"a" * 1000, b"b" * 1000
    request = s3.presign_put("plates/p9/source.mov", len(body), 600)
    assert send(request, body).status_code == 200
    again = send(request, other)  # the same signed URL, used again after the upload completed
    assert again.status_code == 412, again.text
    assert s3.get_bytes("plates/p9/source.mov") == body
    s3.close_uploads("plates/p9/")  # S3 cannot revoke a URL: a no-op, as documented


def test_presign_refuses_bad_arguments(s3: S3Storage) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        s3.presign_put("k", 10, 60, sha256_hex="abc")
    with pytest.raises(ValueError, match="expires_in"):
        s3.presign_put("k", 10, 0)
    with pytest.raises(ValueError, match="single PUT"):
        s3.presign_put("k", 6 * 1024**3, 60)
    with pytest.raises(ValueError, match="part numbers"):
        s3.presign_part("k", "id", 10_001, 60, size=10)


def test_a_part_url_signs_its_length(s3: S3Storage) -> None:
    """S3 and MinIO check a signed Content-Length against the body's; moto checks no presigned
    signature, so here the URL's signed headers are checked, and that an exact part goes in."""
    key, data = "plates/p2/sized.mov", os.urandom(5 * MiB)
    upload_id = s3.create_multipart(key)
    request = s3.presign_part(key, upload_id, 1, 600, size=len(data))
    assert request.headers == {"Content-Length": str(len(data))}
    assert {"host", "content-length"} <= signed_headers(request.url)
    assert send(request, data).status_code == 200
    assert [(p.number, p.size) for p in s3.list_parts(key, upload_id)] == [(1, len(data))]
    with pytest.raises(ValueError, match="a part is"):
        s3.presign_part(key, upload_id, 2, 600, size=5 * 1024**3 + 1)


def test_multipart_resume_complete_and_download(s3: S3Storage) -> None:
    key = "plates/p2/big.mov"
    body = os.urandom(2 * 5 * MiB + MiB + 123)
    chunks = [body[: 5 * MiB], body[5 * MiB : 10 * MiB], body[10 * MiB :]]
    upload_id = s3.create_multipart(key)

    etags = {n: upload_part(s3, key, upload_id, n, chunks[n - 1]) for n in (1, 3)}
    listed = s3.list_parts(key, upload_id)  # what a resuming client is told
    assert [(p.number, p.size, p.etag) for p in listed] == [
        (1, 5 * MiB, etags[1]), (3, len(chunks[2]), etags[3])]
    etags[2] = upload_part(s3, key, upload_id, 2, chunks[1])
    parts = s3.list_parts(key, upload_id)
    assert [(p.number, p.etag) for p in parts] == [(n, etags[n]) for n in (1, 2, 3)]

    s3.complete_multipart(key, upload_id, list(reversed(parts)))  # sorted by the storage
    info = s3.head(key)
    assert info is not None and info.size == len(body)
    response = httpx.get(s3.presign_get(key, 600, filename="plate été.mov"), timeout=60)
    assert response.status_code == 200
    assert sha256(response.content) == sha256(body)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="plate _t_.mov"')
    assert "filename*=UTF-8''plate%20%C3%A9t%C3%A9.mov" in disposition
    with pytest.raises(NoSuchUpload):
        s3.list_parts(key, upload_id)  # completed uploads are gone


def test_complete_with_a_wrong_etag_is_invalid_part(s3: S3Storage) -> None:
    upload_id = s3.create_multipart("k.bin")
    upload_part(s3, "k.bin", upload_id, 1, b"only part")
    with pytest.raises(InvalidPart):
        s3.complete_multipart("k.bin", upload_id, [UploadedPart(1, '"' + "0" * 32 + '"', 9)])
    with pytest.raises(InvalidPart):
        s3.complete_multipart("k.bin", upload_id, [])


def test_abort_then_list_parts_is_no_such_upload(s3: S3Storage) -> None:
    upload_id = s3.create_multipart("aborted.bin")
    upload_part(s3, "aborted.bin", upload_id, 1, b"a" * 1000)
    s3.abort_multipart("aborted.bin", upload_id)
    with pytest.raises(NoSuchUpload):
        s3.list_parts("aborted.bin", upload_id)
    s3.abort_multipart("aborted.bin", upload_id)  # idempotent


def test_delete_prefix_deletes_objects_in_batches_and_aborts_uploads(
        s3: S3Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 2)  # 5 objects: three DeleteObjects calls
    doomed = [f"plates/p3/{name}" for name in ("a", "b", "c/d", "c/e", "f.json")]
    kept = ["plates/p30/a", "plates/p4/a", "plates/p"]
    for key in doomed + kept:
        s3.put_bytes(key, key.encode(), "application/octet-stream")
    upload_id = s3.create_multipart("plates/p3/partial.mov")

    assert s3.delete_prefix("plates/p3/") == len(doomed)
    assert all(s3.head(key) is None for key in doomed)
    assert [s3.get_bytes(key) for key in kept] == [key.encode() for key in kept]
    with pytest.raises(NoSuchUpload):
        s3.list_parts("plates/p3/partial.mov", upload_id)
    assert s3.delete_prefix("plates/p3/") == 0
    with pytest.raises(ValueError, match="empty prefix"):
        s3.delete_prefix("")


def test_put_and_get_bytes(s3: S3Storage) -> None:
    s3.put_bytes("runs/r1/manifest.json", b'{"ok": true}', "application/json")
    assert s3.get_bytes("runs/r1/manifest.json") == b'{"ok": true}'
    with pytest.raises(StorageError, match="NoSuchKey"):
        s3.get_bytes("runs/r1/missing.json")


def test_presigned_urls_carry_the_public_endpoint(moto: Moto, s3_factory: S3Factory) -> None:
    public = f"http://localhost:{moto.port}"  # internal: http://127.0.0.1:{port}
    s3 = s3_factory(f"pub-{uuid.uuid4().hex[:12]}", public_endpoint_url=public, create_bucket=True)
    s3.check()
    body = os.urandom(4096)

    request = s3.presign_put("a/b.bin", len(body), 600, sha256_hex=sha256(body))
    assert request.url.startswith(f"{public}/{s3.bucket}/a/b.bin?")
    assert send(request, body).status_code == 200
    info = s3.head("a/b.bin")  # through the internal endpoint
    assert info is not None and info.size == len(body)
    get_url = s3.presign_get("a/b.bin", 600)
    assert get_url.startswith(f"{public}/{s3.bucket}/a/b.bin?")
    assert httpx.get(get_url).content == body
    upload_id = s3.create_multipart("a/c.bin")
    part = s3.presign_part("a/c.bin", upload_id, 1, 600, size=1)
    assert part.url.startswith(f"{public}/{s3.bucket}/a/c.bin?")


def test_virtual_addressing_puts_the_bucket_in_the_host() -> None:
    s3 = S3Storage(bucket="vbucket", endpoint_url="https://s3.example.com", access_key="a", secret_key="b",
                   addressing_style="virtual")
    assert s3.presign_get("k/x.bin", 60).startswith("https://vbucket.s3.example.com/k/x.bin?")
    with pytest.raises(ValueError, match="addressing_style"):
        S3Storage(bucket="b", addressing_style="dns")  # type: ignore[arg-type]


def test_check_creates_the_bucket_once_and_passes(s3_factory: S3Factory) -> None:
    s3 = s3_factory(f"new-{uuid.uuid4().hex[:12]}", create_bucket=True)
    s3.check()
    s3.check()
    s3.put_bytes("x", b"1", "text/plain")
    assert s3.get_bytes("x") == b"1"


def test_check_fails_for_a_missing_bucket(s3_factory: S3Factory) -> None:
    s3 = s3_factory(f"missing-{uuid.uuid4().hex[:12]}")
    with pytest.raises(StorageError, match="does not exist"):
        s3.check()


def test_check_and_calls_fail_for_an_unreachable_endpoint(s3_factory: S3Factory, closed_port: int) -> None:
    s3 = s3_factory("bucket", endpoint_url=f"http://127.0.0.1:{closed_port}", max_attempts=1)
    with pytest.raises(StorageError, match="cannot reach"):
        s3.check()
    with pytest.raises(StorageError, match="failed"):
        s3.head("k")
    with pytest.raises(StorageError):
        s3.create_multipart("k")
