"""Fixtures of the API tests: real databases (SQLite and PostgreSQL), DiskStorage in a tmp folder.

Every test session gets its own PostgreSQL database (``platecut_test_<pid>_<random>``, made
from ``PLATECUT_TEST_DATABASE_URL``, default the local ``test`` database, and dropped at the
end), so parallel runs do not collide; PostgreSQL tests are skipped when it is unreachable.
Both databases are migrated once per session; tests keep apart by each using a new site.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.service import create_token
from api.config import Settings, environment_names
from api.db.engine import SessionFactory
from api.db.migrate import upgrade
from api.db.unit_of_work import unit_of_work

ADMIN_URL = os.environ.get("PLATECUT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# what TestClient answers: an httpx (or, with starlette 1.x, httpx2) Response
Response = Any
MiB = 1024 * 1024
PART = 5 * MiB  # the smallest part size S3 allows: multipart tests stay small
SINGLE_PUT_MAX = 6 * MiB


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class PgServer:
    admin_url: str
    made: list[str] = field(default_factory=list)

    def create_database(self, prefix: str = "platecut_test") -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        psycopg.connect(_libpq(ADMIN_URL), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):  # CI has the server: its absence is a failure, not a skip
            pytest.fail(f"PostgreSQL unreachable at {ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_URL}: {exc}")
    server = PgServer(ADMIN_URL)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    url = pg_server.create_database()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'platecut.db'}"
    upgrade(url)
    return url


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests say what they configure: ``PLATECUT_*`` settings of the shell do not leak in."""
    for name in environment_names():
        monkeypatch.delenv(name, raising=False)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database: every test using it runs on SQLite and on PostgreSQL."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url, "data_dir": data_dir, "public_url": "http://testserver",
        "single_put_max": SINGLE_PUT_MAX, "min_part_size": PART, "log_json": False,
        "signing_secret": "test-secret-of-at-least-16-bytes",
        "launcher": "none",  # plates stop at "uploaded": the runs tests (test_runs_*) launch their own
        "reconcile_seconds": 0,  # no in-process tick (nor sweep): the tests that want one tick themselves
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    """A session of the app's database, to check rows."""
    factory: SessionFactory = app.state.session_factory
    with factory() as session:
        yield session


@dataclass
class Caller:
    """A client holding one token; ``site`` and ``projects`` are what the token was made for. Its client
    is the app's ``TestClient``, or an ``httpx.Client`` on a live server (``tests.browser_fixtures``)."""

    client: TestClient | httpx.Client
    token: str
    site: str
    projects: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                **kwargs: Any) -> Response:
        return self.client.request(method, path, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)

    def create_plate(self, size: int, name: str = "plate.mov", project: str = "proj",
                     sha256: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "project": project, "size": size}
        if sha256 is not None:
            body["sha256"] = sha256
        response = self.post("/api/v1/plates", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def send(self, signed: dict[str, Any], body: bytes) -> Response:
        """Send bytes to a presigned request (the disk storage's routes, on the same app)."""
        return self.client.request(signed["method"], signed["url"], headers=signed["headers"], content=body)

    def upload_parts(self, upload: dict[str, Any], data: bytes, numbers: list[int]) -> dict[int, str]:
        """PUT the given parts of ``data``; their ETags by number."""
        urls = {part["number"]: part for part in upload["parts"]}
        size = upload["part_size"]
        etags = {}
        for number in numbers:
            response = self.send(urls[number], data[(number - 1) * size:number * size])
            assert response.status_code == 200, response.text
            etags[number] = response.headers["ETag"]
        return etags

    def uploaded_plate(self, data: bytes, name: str = "plate.mov", project: str = "proj") -> dict[str, Any]:
        """A plate created, uploaded in one PUT and completed."""
        created = self.create_plate(len(data), name=name, project=project)
        assert self.send(created["upload"]["put"], data).status_code == 200
        response = self.post(f"/api/v1/plates/{created['plate']['id']}/upload/complete")
        assert response.status_code == 200, response.text
        plate: dict[str, Any] = response.json()
        return plate


class Callers:
    """Makes tokens; each test's sites get names of their own, so tests never see each other."""

    def __init__(self, client: TestClient | httpx.Client, factory: SessionFactory) -> None:
        self.client = client
        self.factory = factory
        self.run = uuid.uuid4().hex[:8]

    def site_name(self, site: str) -> str:
        return f"{site}-{self.run}"

    def __call__(self, site: str = "site", projects: tuple[str, ...] = (), admin: bool = False,
                 make_projects: tuple[str, ...] = ("proj", "other")) -> Caller:
        name = self.site_name(site)
        with unit_of_work(self.factory) as uow:
            if make_projects:  # a site-wide token of the same site, to make the projects
                create_token(uow.session, name, make_projects)
            issued = create_token(uow.session, name, projects, admin)
        return Caller(self.client, issued.token, name, projects)


@pytest.fixture
def callers(client: TestClient, app: FastAPI) -> Callers:
    return Callers(client, app.state.session_factory)


@pytest.fixture
def caller(callers: Callers) -> Caller:
    """A site-wide token of a new site with projects ``proj`` and ``other``."""
    return callers()
