"""A real Kitsu server (Zou) for the tracker tests: ``make zou`` installs it in ``.venv-zou`` (its pins
are not platecut's); the fixture gives each test process its own database ``zou_test_<worker>`` on the
local PostgreSQL and serves ``zou.app:app`` with gunicorn on a free port. Skipped when ``.venv-zou`` is
absent, failed instead under ``CI``.

Zou's ``init-db``, ``init-data`` and ``create-admin`` take about 20 s: they run once per Zou version,
into a template database (``zou_template_<version>``, made under an advisory lock, so two processes
never make it at once), and each process's database is a copy of it (under a second)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
ZOU_BIN = Path(os.environ.get("PLATECUT_TEST_ZOU_VENV", ROOT / ".venv-zou")) / "bin"
PG_HOST = os.environ.get("PLATECUT_TEST_ZOU_DB_HOST", "127.0.0.1")
PG_PORT = os.environ.get("PLATECUT_TEST_ZOU_DB_PORT", "5432")
PG_USER = os.environ.get("PLATECUT_TEST_ZOU_DB_USER", "postgres")
# one Zou per test process: xdist's workers each make their own database
DATABASE = f"zou_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
ADMIN_EMAIL = "pipeline@platecut-studio.com"
# the template's admin password: a throwaway server's, on loopback, for the length of a test run
ADMIN_PASSWORD = "platecut-zou-tests"
TEMPLATE_REVISION = "r1"  # bump when what _initialise makes changes
TEMPLATE_LOCK = 0x5A0_7E57  # pg_advisory_lock key: one process makes the template


@dataclass(frozen=True)
class ZouServer:
    url: str
    email: str
    password: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _zou_version() -> str:
    found = sorted((ZOU_BIN.parent / "lib").glob("python*/site-packages/zou-*.dist-info"))
    assert found, f"no zou package in {ZOU_BIN.parent}"
    return found[-1].name.removeprefix("zou-").removesuffix(".dist-info").replace(".", "_")


def _admin() -> psycopg.Connection:  # type: ignore[type-arg]
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


def _exists(conn: psycopg.Connection, name: str) -> bool:  # type: ignore[type-arg]
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _initialise(env: dict[str, str]) -> None:
    for command in (["init-db"], ["init-data"], ["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]):
        done = subprocess.run([str(ZOU_BIN / "zou"), *command], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, f"zou {command[0]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def _database_from_template(env: dict[str, str]) -> None:
    database = env["DB_DATABASE"]
    """This process's database, copied from the version's template (made first if missing)."""
    template = f"zou_template_{_zou_version()}_{TEMPLATE_REVISION}"
    with _admin() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (TEMPLATE_LOCK,))
        try:
            if not _exists(conn, template):
                building = f"{template}_building"
                conn.execute(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")  # a killed run's
                conn.execute(f"CREATE DATABASE {building}")
                _initialise({**env, "DB_DATABASE": building})
                conn.execute(f"ALTER DATABASE {building} RENAME TO {template}")
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {database} TEMPLATE {template}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATE_LOCK,))


@pytest.fixture(scope="session")
def zou_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZouServer]:
    if not (ZOU_BIN / "zou").exists():
        message = f"Zou is not installed in {ZOU_BIN.parent} (make zou)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with running_zou(tmp_path_factory.mktemp("zou")) as server:
        yield server


@contextlib.contextmanager
def running_zou(work: Path, database: str = DATABASE) -> Iterator[ZouServer]:
    """Zou on a free port, on a fresh copy of the template database named ``database``."""
    env = {**os.environ, "DB_HOST": PG_HOST, "DB_PORT": PG_PORT, "DB_USERNAME": PG_USER, "DB_PASSWORD": "",
           "DB_DATABASE": database, "KV_HOST": os.environ.get("PLATECUT_TEST_REDIS_HOST", "127.0.0.1"),
           "KV_PORT": "6379", "SECRET_KEY": secrets.token_hex(32), "PREVIEW_FOLDER": str(work / "previews"),
           "TMP_DIR": str(work / "tmp"), "INDEXER_HOST": "127.0.0.1", "INDEXER_KEY": "",
           "ENABLE_JOB_QUEUE": "False", "MAIL_CHECK_DELIVERABILITY": "False",
           "CACHE_TYPE": "simple",  # not Redis: a memo of an earlier zou_test would outlive its database
           "LOGS_MODE": "", "PATH": f"{ZOU_BIN}:{os.environ['PATH']}"}
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    _database_from_template(env)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "gunicorn.log").open("w")
    # --preload: the app is imported once, before the two workers fork (about 3 s less)
    command = [str(ZOU_BIN / "gunicorn"), "zou.app:app", "-b", f"127.0.0.1:{port}", "-w", "2", "--preload",
               "--timeout", "120"]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(url, server, work)
        yield ZouServer(url, ADMIN_EMAIL, ADMIN_PASSWORD)
    finally:
        # a throwaway server whose database is copied afresh each time: killed, master and workers at
        # once (even gunicorn's quick shutdown, SIGINT, took about 3 s at the end of each test process)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        log.close()


def _wait_ready(url: str, server: subprocess.Popen[bytes], work: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.poll() is None, (work / "gunicorn.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "Zou did not start in 90 s"
        time.sleep(0.3)
