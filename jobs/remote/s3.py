"""The S3 object store (AWS S3, MinIO, Ceph RGW) on boto3, configured from the environment.

``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (or any other source of boto3's
credential chain), ``AWS_REGION``/``AWS_DEFAULT_REGION`` (default us-east-1),
``PLATECUT_S3_ENDPOINT`` for MinIO and other S3-compatible servers, and botocore's
own ``AWS_MAX_ATTEMPTS``. Addressing is path-style, retries are botocore's
"standard" mode, and checksums are sent only where required (as the API's client does:
older MinIO and Ceph RGW reject the CRC32 trailers boto3 >= 1.36 adds by default).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import HTTPError

from jobs.errors import InputMissingError, OutputError, PlatecutError, TransientError
from jobs.remote.store_protocol import Advance

PART_SIZE = 64 << 20  # files over this go up in parts of this size, four at a time
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
# what storage trouble raises: botocore's and boto3's errors, urllib3's and the socket's mid-stream
_FAILURES = (BotoCoreError, ClientError, Boto3Error, HTTPError, OSError)


def s3_client() -> Any:
    """A boto3 S3 client for the endpoint, region and credentials of the environment."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(signature_version="s3v4", region_name=region, s3={"addressing_style": "path"},
                    retries={"mode": "standard"}, connect_timeout=10, read_timeout=120,
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    return boto3.session.Session().client(
        "s3", endpoint_url=os.environ.get("PLATECUT_S3_ENDPOINT") or None, config=config)


def _code(exc: BaseException) -> str:
    """The S3 error code of a ClientError (or of the one it was raised from), else ''."""
    for err in (exc, exc.__context__):
        response = getattr(err, "response", None)
        if isinstance(response, dict):
            return str(response.get("Error", {}).get("Code", ""))
    return ""


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class S3Store:
    """One bucket. ``transfer`` is a boto3 ``TransferConfig`` (multipart size and threads)."""

    def __init__(self, bucket: str, client: Any, transfer: Any = None) -> None:
        self.bucket, self.client = bucket, client
        self.transfer = transfer or TransferConfig(multipart_threshold=PART_SIZE,
                                                   multipart_chunksize=PART_SIZE, max_concurrency=4)

    @classmethod
    def from_env(cls, bucket: str) -> S3Store:
        return cls(bucket, s3_client())

    def _error(self, exc: Exception, key: str, missing: type[PlatecutError]) -> PlatecutError:
        where = f"s3://{self.bucket}/{key}"
        if _code(exc) in _MISSING:
            return missing(f"{where}: no such object" if missing is InputMissingError
                           else f"{where}: the bucket does not exist")
        return TransientError(f"{where}: {_reason(exc)}")

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except _FAILURES as exc:
            raise self._error(exc, key, InputMissingError) from exc

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            with body:
                yield from body.iter_chunks(chunk_size)
        except _FAILURES as exc:
            raise self._error(exc, key, InputMissingError) from exc

    def check_output(self, key: str) -> None:
        """The bucket must exist (a 403 passes: a job's role may not list buckets)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except _FAILURES as exc:
            if _code(exc) in ("403", "AccessDenied"):
                return
            raise self._error(exc, key, OutputError) from exc

    def put_file(self, path: Path, key: str, content_type: str, advance: Advance) -> None:
        try:
            self.client.upload_file(str(path), self.bucket, key, Config=self.transfer,
                                    ExtraArgs={"ContentType": content_type}, Callback=advance)
        except _FAILURES as exc:  # S3UploadFailedError wraps the ClientError
            raise self._error(exc, key, OutputError) from exc
