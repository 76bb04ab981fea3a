"""moto's S3 server on loopback for the job tests, and the environment the job runs in.

Test modules use it through ``pytest_plugins = ["tests.job_fixtures"]`` (pytest then
imports it first, as a plugin, and rewrites its asserts).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret",
               "AWS_REGION": "us-east-1"}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def env(self, **extra: str) -> dict[str, str]:
        """This process's environment plus what the job needs to reach the server."""
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("AWS_", "PLATECUT_S3_", "PLATECUT_TERMINATION", "PLATECUT_SCRATCH"))}
        return {**clean, **CREDENTIALS, "PLATECUT_S3_ENDPOINT": self.endpoint, "AWS_MAX_ATTEMPTS": "2",
                "COLUMNS": "200", **extra}

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test-secret")

    def keys(self, bucket: str, prefix: str = "") -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{server.get_host_and_port()[1]}")
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket."""
    name = f"job-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """This process's environment pointed at the server (for in-process store tests)."""
    for key, value in s3_server.env().items():
        if key.startswith(("AWS_", "PLATECUT_S3_")):
            monkeypatch.setenv(key, value)
    return s3_server
