"""``platecut upload --reel --version``, ``platecut reels`` and ``platecut changes`` against the
embedded server, over real HTTP (the cuts of each version written to its database as a job would)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cuts.ingest import ingest_manifest
from api.db.engine import make_engine, make_session_factory
from api.db.unit_of_work import unit_of_work
from api.local_server import PLATECUT, free_port, serving
from api.plates.models import Plate, PlateState
from tests.api.test_reel_changes_api import V1, V2, manifest

pytestmark = pytest.mark.slow  # a server and CLI processes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    root = tmp_path_factory.mktemp("reels")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PLATECUT_DATA_DIR": str(root / "data"), "PLATECUT_PUBLIC_URL": url,
           "PLATECUT_LOG_JSON": "false", "PLATECUT_UPLOAD_STATE": str(root / "uploads.json"),
           "PLATECUT_API": url, "PLATECUT_LAUNCHER": "none", "COLUMNS": "200"}
    env.pop("PLATECUT_TOKEN", None)
    made = subprocess.run([PLATECUT, "token", "create", "--site", "studio", "--project", "show"],
                          capture_output=True, text=True, env=env, check=True)
    env["PLATECUT_TOKEN"] = made.stdout.strip().splitlines()[-1].split()[-1]
    with serving(env, port=port):
        yield env, root / "data" / "platecut.db"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PLATECUT, *args], capture_output=True, text=True, env=env, timeout=120)


def uploaded(env: dict[str, str], folder: Path, name: str, *options: str) -> str:
    plate = folder / name
    plate.write_bytes(os.urandom(4096))
    done = run(env, "upload", str(plate), "--project", "show", "--no-checksum", *options)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def split(database: Path, plate_id: str, shots: list[tuple[str, int, int]]) -> None:
    """What a finished job leaves in the database: the plate succeeded, with these cuts."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with unit_of_work(make_session_factory(engine)) as uow:
            plate = uow.session.get(Plate, uuid.UUID(plate_id))
            assert plate is not None
            ingest_manifest(uow.session, plate, manifest(shots))
            plate.state = PlateState.SUCCEEDED
    finally:
        engine.dispose()


def test_turnovers_from_the_command_line(server: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, database = server
    v1 = uploaded(env, tmp_path, "ep201_r1_v01.mov")
    v2 = uploaded(env, tmp_path, "turnover_friday.mov", "--reel", "ep201_r1", "--version", "2")
    split(database, v1, V1)
    split(database, v2, V2)
    listed = run(env, "reels", "--project", "show")
    assert listed.returncode == 0 and "ep201_r1" in listed.stdout and "v02" in listed.stdout
    versions = run(env, "reels", "--project", "show", "--reel", "ep201_r1")
    assert versions.stdout.index("v02") < versions.stdout.index("v01") and v1 in versions.stdout
    table = run(env, "changes", v2)
    assert table.returncode == 0, table.stderr
    for words in ("ep201_r1: v01 -> v02", "cut change", "rescan", "omitted", "new", "repeated",
                  "1 new, 1 omitted, 1 cut change, 1 rescan, 3 unchanged, 1 repeated, 1 reordered"):
        assert words in table.stdout, words
    rows = list(csv.DictReader(io.StringIO(run(env, "changes", v2, "--csv").stdout)))
    assert [(r["name"], r["category"], r["head_delta"]) for r in rows[:2]] == [
        ("A", "unchanged", "0"), ("B", "cut_change", "-3")]


def test_command_line_mistakes(server: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, _ = server
    half = run(env, "upload", str(tmp_path), "--project", "show", "--reel", "x")
    assert half.returncode == 2
    plate = tmp_path / "lonely.mov"
    plate.write_bytes(b"x" * 10)
    assert run(env, "upload", str(plate), "--project", "show", "--reel", "x").returncode == 2
    waiting = uploaded(env, tmp_path, "ep202_v01.mov")
    not_yet = run(env, "changes", waiting)
    assert not_yet.returncode == 65 and "not_succeeded" in not_yet.stderr  # 409: bad input
    assert run(env, "reels", "--reel", "ep202").returncode == 2
