"""``S3Storage``: the ``Storage`` interface on boto3, for MinIO, AWS S3 and Ceph RGW.

Two clients share one configuration (SigV4, path-style addressing by default, standard
retries, bounded timeouts). The *internal* client does the API's own calls against the
endpoint the API reaches (``http://minio:9000`` in a cluster); the *public* client only
presigns, with the endpoint clients reach (``https://s3.example.com``), so a presigned
URL is signed for the host it is sent to: no host of a signed URL is ever rewritten.
Presigning is offline, the public endpoint need not be reachable from the API.

Botocore errors become ``StorageError`` (``NoSuchUpload``/``InvalidPart`` where they
are about the upload), so callers never import botocore.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from api.integrations.storage import (
    CREATE_ONLY,
    MAX_PARTS,
    MAX_SINGLE_PUT,
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

AddressingStyle = Literal["path", "virtual"]

DELETE_BATCH = 1000  # the most keys one DeleteObjects takes
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
_BAD_PARTS = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"})
_DENIED = frozenset({"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"})


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _describe(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', '?')}: {error.get('Message', '') or exc}"


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    """Re-raise botocore's errors from the block as ``StorageError`` (or a subclass)."""
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        if code == "NoSuchUpload":
            raise NoSuchUpload(f"{action}: the multipart upload does not exist") from exc
        if code in _BAD_PARTS:
            raise InvalidPart(f"{action}: {_describe(exc)}") from exc
        raise StorageError(f"{action} failed: {_describe(exc)}") from exc
    except BotoCoreError as exc:  # connection, timeout, credentials, ...
        raise StorageError(f"{action} failed: {exc}") from exc


def content_disposition(filename: str) -> str:
    """An ``attachment`` disposition: an ASCII ``filename`` and an RFC 6266 ``filename*``."""
    clean = "".join(ch for ch in filename if ch.isprintable())
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in clean)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"


def sha256_base64(sha256_hex: str) -> str:
    """The base64 form of a hex SHA-256 digest, as ``x-amz-checksum-sha256`` carries it."""
    try:
        digest = bytes.fromhex(sha256_hex)
    except ValueError:
        digest = b""
    if len(digest) != hashlib.sha256().digest_size:
        raise ValueError(f"not a hex SHA-256 digest: {sha256_hex!r}")
    return base64.b64encode(digest).decode("ascii")


def _config(style: AddressingStyle, connect_timeout: float, read_timeout: float,
            max_attempts: int) -> Config:
    # "when_required" keeps boto3 >= 1.36 from adding CRC32 checksums and trailers by
    # default: several S3-compatible servers (older MinIO, Ceph RGW) reject them, and a
    # presigned URL must not sign checksum headers the client knows nothing about.
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": style},
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=32,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


def _add_content_md5(request: Any, **_: Any) -> None:
    """DeleteObjects needs an integrity header: Content-MD5, which every server takes."""
    body = request.body
    if body and "Content-MD5" not in request.headers:
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()


class S3Storage:
    """Object storage in one bucket of an S3-speaking server; thread-safe.

    ``endpoint_url`` is the endpoint the API reaches (None: AWS's own for ``region``);
    ``public_endpoint_url`` the one presigned URLs carry (default: ``endpoint_url``).
    ``access_key``/``secret_key`` None: boto3's default chain (environment, IAM role).
    ``create_bucket``: ``check()`` creates the bucket when it is missing (MinIO in dev).
    """

    def __init__(self, *, bucket: str, endpoint_url: str | None = None,
                 public_endpoint_url: str | None = None, region: str = "us-east-1",
                 access_key: str | None = None, secret_key: str | None = None,
                 addressing_style: AddressingStyle = "path", create_bucket: bool = False,
                 connect_timeout: float = 5.0, read_timeout: float = 60.0, max_attempts: int = 3) -> None:
        if addressing_style not in ("path", "virtual"):
            raise ValueError(f"addressing_style must be 'path' or 'virtual', not {addressing_style!r}")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.public_endpoint_url = public_endpoint_url or endpoint_url
        self.region = region
        self._create_bucket = create_bucket
        config = _config(addressing_style, connect_timeout, read_timeout, max_attempts)
        session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                        region_name=region)
        self._client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)
        self._client.meta.events.register("before-sign.s3.DeleteObjects", _add_content_md5)
        self._public: Any = session.client("s3", endpoint_url=self.public_endpoint_url, config=config)

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    def _presign(self, operation: str, params: dict[str, Any], expires_in: int) -> str:
        check_expires_in(expires_in)
        with _storage_errors(f"presigning {operation}"):
            method = "PUT" if operation in ("put_object", "upload_part") else "GET"
            url = self._public.generate_presigned_url(operation, Params={"Bucket": self.bucket, **params},
                                                      ExpiresIn=expires_in, HttpMethod=method)
        return str(url)

    # -- uploads ---------------------------------------------------------------------

    def presign_put(self, key: str, size: int, expires_in: int,
                    sha256_hex: str | None = None) -> PresignedRequest:
        """One PUT of exactly ``size`` bytes; Content-Length (and the SHA-256) are signed.

        The returned headers must be sent as they are: S3 refuses the request when they
        are missing or differ (a browser sets Content-Length itself, to the same value).
        """
        if not 0 <= size <= MAX_SINGLE_PUT:
            raise ValueError(f"a single PUT takes 0..{MAX_SINGLE_PUT} bytes, not {size}")
        params: dict[str, Any] = {"Key": key, "ContentLength": size, "IfNoneMatch": "*"}
        headers = {"Content-Length": str(size), **CREATE_ONLY}
        if sha256_hex is not None:
            params["ChecksumSHA256"] = headers["x-amz-checksum-sha256"] = sha256_base64(sha256_hex)
        url = self._presign("put_object", params, expires_in)
        return PresignedRequest("PUT", url, headers, expires_in)

    def create_multipart(self, key: str) -> str:
        with _storage_errors("creating a multipart upload"):
            response = self._client.create_multipart_upload(Bucket=self.bucket, Key=key)
        return str(response["UploadId"])

    def presign_part(self, key: str, upload_id: str, number: int, expires_in: int, *,
                     size: int) -> PresignedRequest:
        """A PUT of part ``number`` (1..10000), exactly ``size`` bytes; its response's ``ETag`` header
        names the part.

        Content-Length is signed (as for ``presign_put``): S3 and MinIO refuse a body of another length
        (403 ``SignatureDoesNotMatch``). The returned headers must be sent as they are."""
        if not 1 <= number <= MAX_PARTS:
            raise ValueError(f"part numbers are 1..{MAX_PARTS}, not {number}")
        check_part_size(size)
        params = {"Key": key, "UploadId": upload_id, "PartNumber": number, "ContentLength": size}
        url = self._presign("upload_part", params, expires_in)
        return PresignedRequest("PUT", url, {"Content-Length": str(size)}, expires_in)

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        """The parts S3 holds for the upload (all pages), sorted by number."""
        parts: list[UploadedPart] = []
        with _storage_errors("listing parts"):
            pages = self._client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=key, UploadId=upload_id)
            for page in pages:
                parts.extend(UploadedPart(int(p["PartNumber"]), str(p["ETag"]), int(p["Size"]))
                             for p in page.get("Parts", []))
        return sorted(parts, key=lambda part: part.number)

    def complete_multipart(self, key: str, upload_id: str, parts: list[UploadedPart]) -> None:
        """Join ``parts`` (any order; sorted here) with the ETags as given."""
        ordered = sorted(parts, key=lambda part: part.number)
        if not ordered or len({p.number for p in ordered}) != len(ordered):
            raise InvalidPart("completing needs at least one part and no part number twice")
        listing = [{"ETag": p.etag, "PartNumber": p.number} for p in ordered]
        with _storage_errors("completing a multipart upload"):
            self._client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                   MultipartUpload={"Parts": listing})

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abort the upload and drop its parts; an unknown upload is fine (idempotent)."""
        try:
            with _storage_errors("aborting a multipart upload"):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except NoSuchUpload:
            pass

    # -- objects ---------------------------------------------------------------------

    def head(self, key: str) -> ObjectInfo | None:
        with _storage_errors("reading an object's metadata"):
            try:
                response = self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _error_code(exc) in _NOT_FOUND:
                    return None
                raise
        return ObjectInfo(key=key, size=int(response["ContentLength"]), etag=str(response.get("ETag", "")))

    def presign_get(self, key: str, expires_in: int, filename: str | None = None) -> str:
        """A GET URL; with ``filename`` the download is an attachment of that name."""
        params: dict[str, Any] = {"Key": key}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return self._presign("get_object", params, expires_in)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        with _storage_errors("writing an object"):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get_bytes(self, key: str) -> bytes:
        """The whole object (for small ones: manifests, reports); a missing one is an error."""
        with _storage_errors(f"reading object {key!r}"):
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

    # -- clean-up --------------------------------------------------------------------

    def delete_prefix(self, prefix: str) -> int:
        """Abort the multipart uploads and delete the objects whose keys start with ``prefix``.

        Returns how many objects were deleted. An empty prefix (the whole bucket) is refused.
        """
        if not prefix:
            raise ValueError("refusing to delete with an empty prefix (the whole bucket)")
        self._abort_uploads_under(prefix)
        deleted = 0
        batch: list[str] = []
        for key in self._keys_under(prefix):
            batch.append(key)
            if len(batch) == DELETE_BATCH:
                deleted += self._delete_batch(batch)
                batch = []
        if batch:
            deleted += self._delete_batch(batch)
        return deleted

    def list_objects(self, prefix: str, limit: int = 1000) -> list[ListedObject]:
        """Complete objects under ``prefix`` (S3 lists no multipart upload until completed)."""
        found: list[ListedObject] = []
        with _storage_errors("listing objects"):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, PaginationConfig={"MaxItems": limit})
            for page in pages:
                found.extend(ListedObject(key=str(item["Key"]), size=int(item["Size"]),
                                          etag=str(item.get("ETag", "")).strip('"'),
                                          last_modified=item["LastModified"])
                             for item in page.get("Contents", []))
        return found[:limit]

    def copy_object(self, source: str, target: str) -> ObjectInfo:
        """A server-side copy (``UploadPartCopy`` in parts above 5 GiB, by boto3's managed copy)."""
        with _storage_errors(f"copying object {source!r}"):
            self._client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
        info = self.head(target)
        if info is None:
            raise StorageError(f"the copy of {source!r} as {target!r} is not there")
        return info

    def _keys_under(self, prefix: str) -> Iterator[str]:
        with _storage_errors("listing objects"):
            pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                yield from (str(item["Key"]) for item in page.get("Contents", []))

    def _delete_batch(self, keys: list[str]) -> int:
        with _storage_errors("deleting objects"):
            response = self._client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise StorageError(f"deleting {len(errors)} of {len(keys)} objects failed, first "
                               f"{first.get('Key')!r}: {first.get('Code')}: {first.get('Message')}")
        return len(keys)

    def _abort_uploads_under(self, prefix: str) -> None:
        with _storage_errors("listing multipart uploads"):
            pages = self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=prefix)
            uploads = [(str(u["Key"]), str(u["UploadId"])) for page in pages for u in page.get("Uploads", [])]
        for key, upload_id in uploads:
            self.abort_multipart(key, upload_id)

    # -- readiness -------------------------------------------------------------------

    def close_uploads(self, prefix: str) -> None:
        """Nothing to do: S3 cannot revoke a presigned URL. A single PUT's URL is create-only
        (``If-None-Match: *``), so it cannot replace a completed source; after an abort or a delete
        it can still create an object until it expires (``PLATECUT_URL_TTL``)."""

    def check(self) -> None:
        """Raise ``StorageError`` unless the bucket is there and ours (creating it if asked)."""
        where = f"bucket {self.bucket!r} at {self.endpoint_url or 'AWS S3'}"
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = _error_code(exc)
            if code in _NOT_FOUND and self._create_bucket:
                self._make_bucket()
                return
            if code in _NOT_FOUND:
                raise StorageError(f"storage not usable: {where} does not exist") from exc
            if code in _DENIED:
                raise StorageError(f"storage not usable: access to {where} denied, "
                                   "check the access key and secret key") from exc
            raise StorageError(f"storage not usable: {where}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"storage not usable: cannot reach {where}: {exc}") from exc

    def _make_bucket(self) -> None:
        options: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        failed = f"storage not usable: creating bucket {self.bucket!r} failed"
        try:
            self._client.create_bucket(**options)
        except ClientError as exc:
            if _error_code(exc) == "BucketAlreadyOwnedByYou":  # made meanwhile, by another replica
                return
            raise StorageError(f"{failed}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"{failed}: {exc}") from exc
