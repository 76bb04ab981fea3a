"""Real servers on loopback for the storage tests: moto's S3 and uvicorn with the disk routes (on a
thread: ``tests.support.uvicorn_thread``).

Tests use them through ``pytest_plugins = ["tests.api.storage_fixtures"]`` and import
from here only under ``TYPE_CHECKING`` (so pytest imports this module first, as a plugin,
and rewrites its asserts).
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer

from api.integrations.disk import DiskStorage
from api.integrations.disk.router import get_disk_storage, router
from api.integrations.s3 import S3Storage
from tests.support.uvicorn_thread import loopback_socket, serving_in_thread, url_of

SECRET = b"test-secret-of-at-least-16-bytes"


@dataclass(frozen=True)
class Moto:
    """moto's S3 server: reachable as ``http://127.0.0.1:port`` and ``http://localhost:port``."""

    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield Moto(port=server.get_host_and_port()[1])
    finally:
        server.stop()


def make_s3(moto: Moto, bucket: str, *, endpoint_url: str | None = None,
            public_endpoint_url: str | None = None, create_bucket: bool = False,
            max_attempts: int = 3) -> S3Storage:
    """An ``S3Storage`` on moto (or ``endpoint_url``) with test credentials (moto takes any)."""
    return S3Storage(bucket=bucket, endpoint_url=endpoint_url or moto.endpoint,
                     public_endpoint_url=public_endpoint_url, region="us-east-1", access_key="test",
                     secret_key="test-secret", create_bucket=create_bucket, connect_timeout=2,
                     read_timeout=30, max_attempts=max_attempts)


S3Factory = Callable[..., S3Storage]


@pytest.fixture
def s3_factory(moto: Moto) -> S3Factory:
    """``make_s3`` bound to the moto server: ``s3_factory(bucket, **options)``."""

    def make(bucket: str, **options: object) -> S3Storage:
        return make_s3(moto, bucket, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def s3(moto: Moto) -> S3Storage:
    """A fresh bucket per test, created by ``check()`` (create_bucket=True)."""
    storage = make_s3(moto, f"test-{uuid.uuid4().hex[:12]}", create_bucket=True)
    storage.check()
    return storage


@dataclass(frozen=True)
class DiskServer:
    """The disk storage routes served by uvicorn at ``base_url``."""

    storage: DiskStorage
    base_url: str
    secret: bytes = SECRET


def storage_app(storage: DiskStorage) -> FastAPI:
    """A small app with the storage routes, wired the way the real app wires them."""
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_disk_storage] = lambda: storage
    return app


@pytest.fixture(scope="module")
def disk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DiskServer]:
    sock = loopback_socket()
    storage = DiskStorage(Path(tmp_path_factory.mktemp("disk")), url_of(sock), SECRET)
    with serving_in_thread(storage_app(storage), sock, lifespan="off") as base_url:
        yield DiskServer(storage, base_url)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
