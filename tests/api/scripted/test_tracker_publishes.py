"""Automatic publishes to a real Kitsu (Zou, tests/api/zou_fixtures.py) when a plate's cuts are
published, retried with back-off while Kitsu is down: the plate succeeds regardless, the publish
history says what happened, ``tracker.published`` is announced once it is done, and a publish is
given up after the last retry."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import gazu
import pytest
from fastapi import FastAPI
from gazu import client as raw
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import KitsuSettings, PublishSettings, Settings
from api.db.base import utcnow
from api.integrations.launcher import JobPhase
from api.plates.models import Plate
from api.runs import uris
from api.runs.context import RunContext
from api.runs.names import job_name_for
from api.runs.reconcile import reconcile_once
from api.trackers import flows
from api.trackers.tick import publish_due
from api.webhooks.models import WebhookEvent
from tests.api.conftest import Caller, Callers
from tests.api.runs_support import ScriptedLauncher, make_manifest

if TYPE_CHECKING:  # a plugin (pytest_plugins below): imported by pytest, its asserts rewritten
    from tests.api.zou_fixtures import ZouServer

pytest_plugins = ["tests.api.runs_fixtures", "tests.api.zou_fixtures"]  # one Zou per test process
pytestmark = pytest.mark.slow
DOWN = "http://127.0.0.1:9"  # nothing listens there
DELAYS = (60.0, 300.0)


@pytest.fixture
def settings(runs_settings: Settings, zou_server: ZouServer) -> Settings:
    kitsu = KitsuSettings(url=DOWN, email=zou_server.email, password=zou_server.password, timeout_seconds=2)
    return runs_settings.model_copy(update={
        "kitsu": kitsu, "trackers": PublishSettings(auto_publish=("kitsu",), retry_delays=DELAYS)})


@pytest.fixture
def project() -> str:
    return f"k{uuid.uuid4().hex[:8]}"  # a Kitsu project of its own


@pytest.fixture
def admin(callers: Callers, project: str) -> Caller:
    return callers(admin=True, make_projects=(project,))


def succeed(app: FastAPI, launcher: ScriptedLauncher, plate_id: str, db: Session) -> None:
    """The plate's job ran and left its manifest: the next tick ingests it."""
    db.expire_all()
    plate = db.get(Plate, uuid.UUID(plate_id))
    assert plate is not None
    manifest = make_manifest(["SH010_0010", "SH010_0020"])
    app.state.run_context.storage.put_bytes(uris.manifest_key(plate, 1), manifest.to_json().encode(),
                                            "application/json")
    launcher.set(job_name_for(plate_id, 1), JobPhase.SUCCEEDED)
    reconcile_once(app.state.run_context)


def with_kitsu_at(ctx: RunContext, url: str) -> RunContext:
    kitsu = ctx.settings.kitsu.model_copy(update={"url": url})
    return replace(ctx, settings=ctx.settings.model_copy(update={"kitsu": kitsu}))


def shots_in(server: ZouServer, project: str) -> dict[str, dict[str, Any]]:
    client = raw.create_client(server.url)
    gazu.log_in(server.email, server.password, client=client)
    found = gazu.project.get_project_by_name(project, client=client)
    if found is None:
        return {}
    return {s["name"]: s for s in gazu.shot.all_shots_for_project(found, client=client)}


def test_a_plate_s_cuts_reach_kitsu_once_it_is_back(admin: Caller, project: str, app: FastAPI,
                                                    launcher: ScriptedLauncher, db: Session,
                                                    zou_server: ZouServer) -> None:
    hook = admin.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks",
                                                "events": ["tracker.published"]})
    assert hook.status_code == 201, hook.text
    plate = admin.uploaded_plate(b"plate", name="ep1_r1_v01.mov", project=project)
    succeed(app, launcher, plate["id"], db)
    assert admin.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "succeeded"  # not held up
    (queued,) = admin.get(f"/api/v1/plates/{plate['id']}/publishes").json()["items"]
    assert (queued["tracker"], queued["trigger"], queued["state"], queued["attempts"],
            queued["requested_by"]) == ("kitsu", "automatic", "queued", 0, None)

    ctx: RunContext = app.state.run_context
    assert publish_due(ctx) == 1  # Kitsu is down
    (failed,) = admin.get(f"/api/v1/plates/{plate['id']}/publishes").json()["items"]
    assert (failed["state"], failed["attempts"], failed["last_error_code"]) == \
        ("retrying", 1, "tracker_unavailable")
    retry_at = failed["next_attempt_at"]
    assert 55 <= (_parse(retry_at) - utcnow()).total_seconds() <= 60
    assert publish_due(ctx) == 0  # not due yet
    assert shots_in(zou_server, project) == {}

    back = with_kitsu_at(ctx, zou_server.url)  # the site fixed its URL
    assert back.settings.kitsu.url == zou_server.url
    assert publish_due_at(back, 61) == 1
    (done,) = admin.get(f"/api/v1/plates/{plate['id']}/publishes").json()["items"]
    assert (done["state"], done["attempts"], done["last_error_code"]) == ("succeeded", 2, None)
    assert sorted(done["result"]["created"]) == ["SH010_0010", "SH010_0020"]
    shots = shots_in(zou_server, project)
    assert {name: shot["data"]["plate_id"] for name, shot in shots.items()} == {
        "SH010_0010": plate["id"], "SH010_0020": plate["id"]}
    db.expire_all()
    events = db.scalars(select(WebhookEvent).where(WebhookEvent.plate_id == uuid.UUID(plate["id"]),
                                                   WebhookEvent.type == "tracker.published")).all()
    assert [(e.payload["data"]["tracker"], e.payload["data"]["created"], e.payload["data"]["publish_id"])
            for e in events] == [("kitsu", 2, done["id"])]
    assert publish_due_at(back, 3600) == 0  # nothing twice


def test_given_up_after_the_last_retry(admin: Caller, project: str, app: FastAPI, launcher: ScriptedLauncher,
                                       db: Session) -> None:
    plate = admin.uploaded_plate(b"plate", name="ep2_r1_v01.mov", project=project)
    succeed(app, launcher, plate["id"], db)
    ctx: RunContext = app.state.run_context
    for seconds in (0, 61, 61 + 301):
        assert publish_due_at(ctx, seconds) == 1
    (gave_up,) = admin.get(f"/api/v1/plates/{plate['id']}/publishes").json()["items"]
    assert (gave_up["state"], gave_up["attempts"], gave_up["next_attempt_at"]) == ("gave_up", 3, None)
    assert gave_up["finished_at"] is not None
    assert publish_due_at(ctx, 86_400) == 0


def publish_due_at(ctx: RunContext, seconds: float) -> int:
    return flows.publish_due(ctx, utcnow() + timedelta(seconds=seconds))


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)
