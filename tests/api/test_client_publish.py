"""``platecut publish PLATE --to kitsu`` and ``--history`` against the embedded server over real HTTP,
publishing to a real Kitsu (Zou, tests/api/zou_fixtures.py); a Kitsu that is down is exit 75 with
the server's retry time; a tracker the site lacks is exit 66."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from api.local_server import PLATECUT, free_port, serving
from jobs.errors import ExitCode
from tests.api.test_client_reels import run, split
from tests.api.test_reel_changes_api import V1

if TYPE_CHECKING:  # a plugin (pytest_plugins below): imported by pytest, its asserts rewritten
    from tests.api.zou_fixtures import ZouServer

pytest_plugins = ["tests.api.zou_fixtures"]  # a plugin's fixture: one Zou per test process, not per module
pytestmark = pytest.mark.slow  # servers and CLI processes
DOWN = "http://127.0.0.1:9"


def site(root: Path, kitsu_url: str, zou: ZouServer, project: str) -> tuple[dict[str, str], Path]:
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "PLATECUT_DATA_DIR": str(root / "data"), "PLATECUT_PUBLIC_URL": url,
           "PLATECUT_LOG_JSON": "false", "PLATECUT_UPLOAD_STATE": str(root / "uploads.json"),
           "PLATECUT_API": url, "PLATECUT_LAUNCHER": "none", "COLUMNS": "200",
           "PLATECUT_KITSU_URL": kitsu_url, "PLATECUT_KITSU_EMAIL": zou.email,
           "PLATECUT_KITSU_PASSWORD": zou.password, "PLATECUT_KITSU_TIMEOUT_SECONDS": "2"}
    env.pop("PLATECUT_TOKEN", None)
    made = subprocess.run([PLATECUT, "token", "create", "--site", "studio", "--project", project],
                          capture_output=True, text=True, env=env, check=True)
    env["PLATECUT_TOKEN"] = made.stdout.strip().splitlines()[-1].split()[-1]
    return env, root / "data" / "platecut.db"


@pytest.fixture
def project() -> str:
    return f"cli{uuid.uuid4().hex[:8]}"


def split_plate(env: dict[str, str], database: Path, folder: Path, project: str) -> str:
    file = folder / "ep3_r1_v01.mov"
    file.write_bytes(os.urandom(2048))
    done = run(env, "upload", str(file), "--project", project, "--no-checksum")
    assert done.returncode == 0, done.stderr
    plate_id = done.stdout.strip().splitlines()[-1]
    split(database, plate_id, V1)
    return plate_id


def test_publish_then_its_history(tmp_path: Path, project: str, zou_server: ZouServer) -> None:
    env, database = site(tmp_path, zou_server.url, zou_server, project)
    with serving(env, port=int(env["PLATECUT_API"].rsplit(":", 1)[1])):
        plate = split_plate(env, database, tmp_path, project)
        done = run(env, "publish", plate, "--to", "kitsu")
        assert done.returncode == 0, done.stderr
        assert "kitsu: " + project in done.stdout
        for name in "ABCDEF":  # tests.api.test_reel_changes_api.V1
            assert f"│ {name}    │ created │" in done.stdout, done.stdout
        assert "6 created, 0 updated, 0 omitted, 0 unchanged; 0 thumbnails" in done.stdout
        history = run(env, "publish", plate, "--history")
        assert history.returncode == 0, history.stderr
        assert "succeeded" in history.stdout and "6/0/0" in history.stdout
        missing = run(env, "publish", plate, "--to", "shotgrid")
        assert (missing.returncode, missing.stdout) == (ExitCode.NO_INPUT, ""), missing.stderr
        assert "no Flow Production Tracking configured" in missing.stderr
        usage = run(env, "publish", plate)
        assert usage.returncode == ExitCode.USAGE and "--to TRACKER, or --history" in usage.stderr


def test_a_kitsu_that_is_down_is_retried_later(tmp_path: Path, project: str,
                                               zou_server: ZouServer) -> None:
    env, database = site(tmp_path, DOWN, zou_server, project)
    with serving(env, port=int(env["PLATECUT_API"].rsplit(":", 1)[1])):
        plate = split_plate(env, database, tmp_path, project)
        done = run(env, "publish", plate, "--to", "kitsu")
        assert done.returncode == ExitCode.TRANSIENT, done.stderr
        assert "did not answer" in done.stderr and "The server tries again at " in done.stderr
        assert "Traceback" not in done.stderr
        history = run(env, "publish", plate, "--history")
        assert "retrying" in history.stdout and "did not answer" in history.stdout
