"""Publishing a plate's cuts to a real Kitsu (Zou, tests/api/zou_fixtures.py), read back with gazu:
shots, sequences and thumbnails, idempotence, a next version (trimmed, omitted, new, a new picture),
refused credentials and a tracker down (recorded in the plate's publish history)."""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import TYPE_CHECKING, Any

import gazu
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gazu import client as raw
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from api.cuts.models import Cut
from api.integrations.storage import Storage
from tests.api.conftest import Callers, make_settings
from tests.api.test_reel_changes_api import split_version

if TYPE_CHECKING:  # a plugin (pytest_plugins below): imported by pytest, its asserts rewritten
    from tests.api.zou_fixtures import ZouServer

pytest_plugins = ["tests.api.zou_fixtures"]  # a plugin's fixture: one Zou per test process, not per module
pytestmark = pytest.mark.slow
V1 = [("SH010_0010", 1000, 48), ("SH010_0020", 2000, 30), ("SH020_0010", 3000, 24)]
V2 = [("SH010_0010", 1000, 40), ("SH020_0010", 3000, 24), ("SH020_0020", 4000, 12)]


@pytest.fixture
def settings(database_url: str, tmp_path: Any, zou_server: ZouServer) -> Settings:
    return make_settings(database_url, tmp_path / "data", kitsu_url=zou_server.url,
                         kitsu_email=zou_server.email, kitsu_password=zou_server.password)


def kitsu_shots(server: ZouServer, project: str) -> dict[str, dict[str, Any]]:
    client = raw.create_client(server.url)
    gazu.log_in(server.email, server.password, client=client)
    found = gazu.project.get_project_by_name(project, client=client)
    sequences = {s["id"]: s["name"] for s in gazu.shot.all_sequences_for_project(found, client=client)}
    return {s["name"]: {**s, "sequence": sequences[s["parent_id"]]}
            for s in gazu.shot.all_shots_for_project(found, client=client)}


Colour = tuple[int, int, int]


def with_thumbnails(db: Session, storage: Storage, plate_id: str, colours: dict[str, Colour]) -> None:
    """Each named cut's thumbnail: a JPEG of one colour, in storage, its SHA-256 on the row."""
    for cut in db.scalars(select(Cut).where(Cut.plate_id == uuid.UUID(plate_id))):
        if cut.name in colours and cut.thumbnail_key:
            buffer = io.BytesIO()
            Image.new("RGB", (64, 36), colours[cut.name]).save(buffer, "JPEG", quality=95)
            storage.put_bytes(cut.thumbnail_key, buffer.getvalue(), "image/jpeg")
            cut.thumbnail_sha256 = hashlib.sha256(buffer.getvalue()).hexdigest()
    db.commit()


def main_preview_colour(server: ZouServer, shot: dict[str, Any]) -> tuple[int, ...]:
    """The centre pixel of the original picture of the shot's main preview, as Zou serves it."""
    client = raw.create_client(server.url)
    gazu.log_in(server.email, server.password, client=client)
    assert shot["preview_file_id"], shot["name"]
    data = client.session.get(f"{server.url}/pictures/originals/preview-files/{shot['preview_file_id']}.png",
                              headers=raw.make_auth_header(client=client), timeout=10)
    assert data.status_code == 200, data.text[:200]
    picture = Image.open(io.BytesIO(data.content)).convert("RGB")
    return tuple(picture.getpixel((picture.width // 2, picture.height // 2)))


def near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(colour, expected, strict=True))  # JPEG's rounding


RED, GREEN, BLUE, YELLOW = (200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)


def test_publish_again_and_a_next_version(callers: Callers, db: Session, app: FastAPI,
                                         zou_server: ZouServer) -> None:
    project = f"k{uuid.uuid4().hex[:8]}"
    caller = callers(make_projects=(project,))
    storage = app.state.storage
    v1 = split_version(caller, db, "ep1_r1_v01.mov", V1, project=project)
    with_thumbnails(db, storage, v1, {"SH010_0010": RED, "SH010_0020": GREEN, "SH020_0010": BLUE})
    answer = caller.post(f"/api/v1/plates/{v1}/publish/kitsu")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["attempts"], answer.json()["trigger"]) == \
        ("succeeded", 1, "request")
    first = answer.json()["result"]
    assert sorted(first["created"]) == ["SH010_0010", "SH010_0020", "SH020_0010"]
    assert first["thumbnails"] == 3
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
    assert near(main_preview_colour(zou_server, one), RED)
    assert near(main_preview_colour(zou_server, shots["SH020_0010"]), BLUE)

    again = caller.post(f"/api/v1/plates/{v1}/publish/kitsu").json()["result"]
    assert again["created"] == again["updated"] == again["omitted"] == [] and again["api_calls"] == 4
    assert again["thumbnails"] == 0
    after = kitsu_shots(zou_server, project)
    assert {n: (s["id"], s["updated_at"]) for n, s in after.items()} == \
        {n: (s["id"], s["updated_at"]) for n, s in shots.items()}

    v2 = split_version(caller, db, "ep1_r1_v02.mov", V2, project=project)
    with_thumbnails(db, storage, v2, {"SH010_0010": YELLOW, "SH020_0010": BLUE, "SH020_0020": GREEN})
    second = caller.post(f"/api/v1/plates/{v2}/publish/kitsu").json()["result"]
    assert (second["created"], second["omitted"]) == (["SH020_0020"], ["SH010_0020"])
    assert "SH010_0010" in second["updated"]
    assert second["thumbnails"] == 2  # SH010_0010's new picture, SH020_0020's first; not SH020_0010's
    final = kitsu_shots(zou_server, project)
    assert set(final) == {"SH010_0010", "SH010_0020", "SH020_0010", "SH020_0020"}  # none deleted
    omitted = final["SH010_0020"]
    assert omitted["status"] == "canceled" and omitted["id"] == shots["SH010_0020"]["id"]
    assert (final["SH010_0010"]["nb_frames"], final["SH010_0010"]["data"]["frame_out"]) == (40, 1048)
    assert final["SH020_0020"]["sequence"] == "SH020"
    assert near(main_preview_colour(zou_server, final["SH010_0010"]), YELLOW)
    assert near(main_preview_colour(zou_server, final["SH020_0010"]), BLUE)
    history = caller.get(f"/api/v1/plates/{v1}/publishes").json()["items"]
    assert [(h["state"], h["attempts"], h["result"]["thumbnails"]) for h in history] == [
        ("succeeded", 1, 0), ("succeeded", 1, 3)]  # newest first
    assert all(h["requested_by"].startswith("token:") and h["finished_at"] for h in history)


def test_refused_credentials_and_a_tracker_down(database_url: str, tmp_path: Any,
                                                 zou_server: ZouServer) -> None:
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
            publish = response.json()["publish"]  # recorded, and retried a minute later
            assert (publish["state"], publish["attempts"], publish["last_error_code"]) == \
                ("retrying", 1, code)
            history = caller.get(f"/api/v1/plates/{plate}/publishes").json()["items"]
            assert [(h["id"], h["state"], h["next_attempt_at"]) for h in history] == [
                (publish["id"], "retrying", publish["next_attempt_at"])]
    assert project not in {p["name"] for p in _projects(zou_server)}  # nothing recorded


def _projects(server: ZouServer) -> list[dict[str, Any]]:
    client = raw.create_client(server.url)
    gazu.log_in(server.email, server.password, client=client)
    projects: list[dict[str, Any]] = gazu.project.all_projects(client=client)
    return projects
