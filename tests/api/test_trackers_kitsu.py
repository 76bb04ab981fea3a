"""Publishing a plate's cuts to a real Kitsu (Zou, tests/api/zou_fixtures.py), read back with gazu:
shots and sequences, idempotence, a next version (trimmed, omitted, new), refused credentials."""

from __future__ import annotations

import uuid
from typing import Any

import gazu
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gazu import client as raw
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from tests.api.conftest import Callers, make_settings
from tests.api.test_reel_changes_api import split_version
from tests.api.zou_fixtures import ZouServer, zou_server  # noqa: F401

pytestmark = pytest.mark.slow
V1 = [("SH010_0010", 1000, 48), ("SH010_0020", 2000, 30), ("SH020_0010", 3000, 24)]
V2 = [("SH010_0010", 1000, 40), ("SH020_0010", 3000, 24), ("SH020_0020", 4000, 12)]


@pytest.fixture
def settings(database_url: str, tmp_path: Any, zou_server: ZouServer) -> Settings:  # noqa: F811
    return make_settings(database_url, tmp_path / "data", kitsu_url=zou_server.url,
                         kitsu_email=zou_server.email, kitsu_password=zou_server.password)


def kitsu_shots(server: ZouServer, project: str) -> dict[str, dict[str, Any]]:
    client = raw.create_client(server.url)
    gazu.log_in(server.email, server.password, client=client)
    found = gazu.project.get_project_by_name(project, client=client)
    sequences = {s["id"]: s["name"] for s in gazu.shot.all_sequences_for_project(found, client=client)}
    return {s["name"]: {**s, "sequence": sequences[s["parent_id"]]}
            for s in gazu.shot.all_shots_for_project(found, client=client)}


def test_publish_again_and_a_next_version(callers: Callers, db: Session,
                                         zou_server: ZouServer) -> None:  # noqa: F811
    project = f"k{uuid.uuid4().hex[:8]}"
    caller = callers(make_projects=(project,))
    v1 = split_version(caller, db, "ep1_r1_v01.mov", V1, project=project)
    first = caller.post(f"/api/v1/plates/{v1}/publish/kitsu")
    assert first.status_code == 200, first.text
    assert sorted(first.json()["created"]) == ["SH010_0010", "SH010_0020", "SH020_0010"]
    shots = kitsu_shots(zou_server, project)
    assert set(shots) == {"SH010_0010", "SH010_0020", "SH020_0010"}
    one = shots["SH010_0010"]
    assert (one["sequence"], one["nb_frames"], one["data"]["frame_in"], one["data"]["frame_out"]) == \
        ("SH010", 48, 1009, 1056)
    assert {k: one["data"][k] for k in ("head_in", "tail_out", "head_handles", "tail_handles", "reel",
                                        "version", "plate_id", "source_tc_in", "record_tc_in")} == {
        "head_in": 1001, "tail_out": 1064, "head_handles": 8, "tail_handles": 8, "reel": "ep1_r1",
        "version": 1, "plate_id": v1, "source_tc_in": "00:00:41:16", "record_tc_in": "01:00:00:00"}
    assert shots["SH020_0010"]["sequence"] == "SH020"

    again = caller.post(f"/api/v1/plates/{v1}/publish/kitsu").json()
    assert again["created"] == again["updated"] == again["omitted"] == [] and again["api_calls"] == 4
    after = kitsu_shots(zou_server, project)
    assert {n: (s["id"], s["updated_at"]) for n, s in after.items()} == \
        {n: (s["id"], s["updated_at"]) for n, s in shots.items()}

    v2 = split_version(caller, db, "ep1_r1_v02.mov", V2, project=project)
    second = caller.post(f"/api/v1/plates/{v2}/publish/kitsu").json()
    assert (second["created"], second["omitted"]) == (["SH020_0020"], ["SH010_0020"])
    assert "SH010_0010" in second["updated"]
    final = kitsu_shots(zou_server, project)
    assert set(final) == {"SH010_0010", "SH010_0020", "SH020_0010", "SH020_0020"}  # none deleted
    omitted = final["SH010_0020"]
    assert omitted["status"] == "canceled" and omitted["id"] == shots["SH010_0020"]["id"]
    assert (final["SH010_0010"]["nb_frames"], final["SH010_0010"]["data"]["frame_out"]) == (40, 1048)
    assert final["SH020_0020"]["sequence"] == "SH020"


def test_refused_credentials_and_a_tracker_down(database_url: str, tmp_path: Any,
                                                 zou_server: ZouServer) -> None:  # noqa: F811
    for url, password, status, code in ((zou_server.url, "wrong", 502, "tracker_refused"),
                                        ("http://127.0.0.1:9", zou_server.password, 503,
                                         "tracker_unavailable")):
        app: FastAPI = create_app(make_settings(database_url, tmp_path / "data", kitsu_url=url,
                                                kitsu_email=zou_server.email, kitsu_password=password))
        with TestClient(app) as client:
            callers = Callers(client, app.state.session_factory)
            project = f"k{uuid.uuid4().hex[:8]}"
            caller = callers(make_projects=(project,))
            with app.state.session_factory() as db:
                plate = split_version(caller, db, "ep2_v01.mov", V1, project=project)
            response = caller.post(f"/api/v1/plates/{plate}/publish/kitsu")
            assert (response.status_code, response.json()["code"]) == (status, code), response.text
            assert password not in response.text or password == zou_server.password
    assert project not in {p["name"] for p in _projects(zou_server)}  # nothing recorded


def _projects(server: ZouServer) -> list[dict[str, Any]]:
    client = raw.create_client(server.url)
    gazu.log_in(server.email, server.password, client=client)
    projects: list[dict[str, Any]] = gazu.project.all_projects(client=client)
    return projects
