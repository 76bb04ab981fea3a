"""Cut versions through the API, on SQLite and PostgreSQL: a detection saves version 1, corrections
save the next ones (stale edits refused), a publish launches a job with the version's cut list, and
its manifest makes the version the published one the cut routes serve."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.corrections.models import CutVersion
from api.integrations.launcher import JobPhase
from api.plates.models import Plate
from api.runs import uris
from api.runs.names import job_name_for
from api.runs.reconcile import reconcile_once
from tests.api.conftest import Caller, Callers
from tests.api.runs_support import ScriptedLauncher, make_manifest

pytest_plugins = ["tests.api.runs_fixtures"]
NAMES = ["sh010", "sh020", "sh030"]  # 24 frames each


def plate_row(db: Session, plate_id: str) -> Plate:
    db.expire_all()
    plate = db.get(Plate, uuid.UUID(plate_id))
    assert plate is not None
    return plate


def finish(app: FastAPI, launcher: ScriptedLauncher, db: Session, plate_id: str, attempt: int,
           names: list[str], cut_list_version: int | None = None) -> None:
    """The attempt's job leaves its manifest and succeeds; one reconcile tick takes it in."""
    manifest = make_manifest(names)
    split = manifest.split.model_copy(update={"cut_list_version": cut_list_version})
    manifest = manifest.model_copy(update={"split": split})
    key = uris.manifest_key(plate_row(db, plate_id), attempt)
    app.state.run_context.storage.put_bytes(key, manifest.to_json().encode(), "application/json")
    launcher.set(job_name_for(plate_id, attempt), JobPhase.SUCCEEDED)
    reconcile_once(app.state.run_context)


@pytest.fixture
def detected(caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> str:
    plate = caller.uploaded_plate(b"plate")
    finish(app, launcher, db, plate["id"], 1, NAMES)
    return str(plate["id"])


def correct(caller: Caller, plate_id: str, base: int, *edits: dict[str, object]) -> httpx.Response:
    return caller.post(f"/api/v1/plates/{plate_id}/cut-versions",
                       json={"base_version": base, "edits": list(edits)})


def versions(db: Session, plate_id: str) -> list[tuple[int, str, list[tuple[int, str]]]]:
    db.expire_all()
    rows = db.scalars(select(CutVersion).where(CutVersion.plate_id == uuid.UUID(plate_id))
                      .order_by(CutVersion.number))
    return [(v.number, v.origin.value, [(c["first_frame"], c["name"]) for c in v.cuts]) for v in rows]


def test_a_detection_saves_version_1_published(caller: Caller, detected: str, db: Session) -> None:
    assert versions(db, detected) == [(1, "detected", [(0, "sh010"), (24, "sh020"), (48, "sh030")])]
    listed = caller.get(f"/api/v1/plates/{detected}/cut-versions").json()
    assert (listed["latest"], listed["published"], listed["publishing"]) == (1, 1, None)
    assert listed["items"][0]["author"] == "detection"
    one = caller.get(f"/api/v1/plates/{detected}/cut-versions/1").json()
    assert [(c["order"], c["first_frame"], c["last_frame"]) for c in one["items"]] == [
        (1, 0, 23), (2, 24, 47), (3, 48, 71)]


def test_corrections_save_the_next_version_with_who_and_what(caller: Caller, detected: str,
                                                             db: Session) -> None:
    answer = correct(caller, detected, 1, {"op": "split", "frame": 30}, {"op": "rename", "order": 1,
                                                                         "name": "sh005"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["number"], body["based_on"], body["origin"]) == (2, 1, "corrected")
    assert caller.token.startswith(body["author"])  # an unnamed token: its prefix
    assert body["edits"] == [{"frame": 30, "op": "split"}, {"order": 1, "name": "sh005", "op": "rename"}]
    assert versions(db, detected)[1][2] == [(0, "sh005"), (24, "sh020"), (30, "sh020_2"), (48, "sh030")]
    assert versions(db, detected)[0][2][0] == (0, "sh010")  # the earlier version is kept as it was


def test_a_stale_edit_is_refused_and_saves_nothing(caller: Caller, detected: str, db: Session) -> None:
    assert correct(caller, detected, 1, {"op": "merge", "order": 2}).status_code == 201
    stale = correct(caller, detected, 1, {"op": "split", "frame": 10})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["latest_version"] == 2
    assert [v[0] for v in versions(db, detected)] == [1, 2]


@pytest.mark.parametrize(("edit", "code"), [
    ({"op": "split", "frame": 24}, "split_at_boundary"),
    ({"op": "merge", "order": 1}, "merge_first_cut"),
    ({"op": "rename", "order": 2, "name": ""}, "empty_name"),
    ({"op": "rename", "order": 2, "name": "sh030"}, "duplicate_name"),
])
def test_bad_edits_are_422_with_their_code(caller: Caller, detected: str, db: Session,
                                            edit: dict[str, object], code: str) -> None:
    answer = correct(caller, detected, 1, {"op": "split", "frame": 5}, edit)
    assert answer.status_code == 422
    assert answer.json()["code"] == code
    assert [v[0] for v in versions(db, detected)] == [1]  # the good first edit was not saved either


def test_publish_runs_the_cut_list_and_its_manifest_becomes_the_published_version(
        caller: Caller, detected: str, app: FastAPI, launcher: ScriptedLauncher, db: Session,
        settings: Settings) -> None:
    correct(caller, detected, 1, {"op": "split", "frame": 30}, {"op": "rename", "order": 3, "name": "sh025"})
    answer = caller.post(f"/api/v1/plates/{detected}/cut-versions/2/publish")
    assert answer.status_code == 202, answer.text
    assert (answer.json()["state"], answer.json()["attempt"]) == ("queued", 2)
    request = launcher.requests[job_name_for(detected, 2)]
    plate = plate_row(db, detected)
    assert request.cut_list_uri == uris.object_uri(settings, uris.cut_list_key(plate, 2))
    cut_list = json.loads(app.state.run_context.storage.get_bytes(uris.cut_list_key(plate, 2)))
    assert cut_list["version"] == 2
    assert [(c["first_frame"], c["name"], c["detected_by"]) for c in cut_list["cuts"]] == [
        (0, "sh010", "picture"), (24, "sh020", "picture"), (30, "sh025", "editor"), (48, "sh030", "picture")]
    assert caller.get(f"/api/v1/plates/{detected}/cut-versions").json()["publishing"] == 2
    assert [c["name"] for c in caller.get(f"/api/v1/plates/{detected}/cuts").json()["items"]] == NAMES

    finish(app, launcher, db, detected, 2, ["sh010", "sh020", "sh025", "sh030"], cut_list_version=2)
    listed = caller.get(f"/api/v1/plates/{detected}/cut-versions").json()
    assert (listed["latest"], listed["published"], listed["publishing"]) == (2, 2, None)
    assert caller.get(f"/api/v1/plates/{detected}").json()["state"] == "succeeded"
    cuts = caller.get(f"/api/v1/plates/{detected}/cuts").json()["items"]
    assert [c["name"] for c in cuts] == ["sh010", "sh020", "sh025", "sh030"]
    again = caller.post(f"/api/v1/plates/{detected}/cut-versions/2/publish")
    assert (again.status_code, again.json()["code"]) == (409, "already_published")


def test_redetect_takes_the_plates_settings_and_saves_a_detected_version(
        caller: Caller, detected: str, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    body = {"detector": {"min_score": 0.05, "window": 10}, "burnin_regions": [[0, 0.9, 1, 0.1]]}
    answer = caller.post(f"/api/v1/plates/{detected}/redetect", json=body)
    assert answer.status_code == 202, answer.text
    request = launcher.requests[job_name_for(detected, 2)]
    assert request.cut_list_uri is None
    assert request.extra_args == ("--set", "min_score=0.05", "--set", "window=10",
                                  "--burnin-region", "0.0000,0.9000,1.0000,0.1000")
    finish(app, launcher, db, detected, 2, ["sh010", "sh020"])
    assert [(n, origin) for n, origin, _ in versions(db, detected)] == [(1, "detected"), (2, "detected")]
    assert caller.get(f"/api/v1/plates/{detected}/cut-versions").json()["published"] == 2


@pytest.mark.parametrize(("body", "code"), [
    ({"detector": {"no_such": 1}}, "invalid_detector_setting"),
    ({"detector": {"window": 1}}, "invalid_detector_setting"),
    ({"burnin_regions": [[0.5, 0.5, 0.6, 0.1]]}, "invalid_burnin_region"),
])
def test_redetect_refuses_settings_the_job_cannot_take(caller: Caller, detected: str, db: Session,
                                                        body: dict[str, object], code: str) -> None:
    answer = caller.post(f"/api/v1/plates/{detected}/redetect", json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, code)
    assert plate_row(db, detected).attempt == 1


def test_publishing_while_a_job_runs_and_before_any_cuts_is_409(caller: Caller, detected: str) -> None:
    assert caller.post(f"/api/v1/plates/{detected}/redetect", json={}).status_code == 202
    busy = caller.post(f"/api/v1/plates/{detected}/cut-versions/1/publish")
    assert (busy.status_code, busy.json()["code"]) == (409, "invalid_state")
    fresh = caller.uploaded_plate(b"other")
    none = correct(caller, fresh["id"], 1, {"op": "split", "frame": 3})
    assert (none.status_code, none.json()["code"]) == (409, "no_cut_version")
    caller.post(f"/api/v1/plates/{fresh['id']}/cancel")


def test_another_sites_token_sees_no_version(callers: Callers, detected: str) -> None:
    stranger = callers("elsewhere")
    assert stranger.get(f"/api/v1/plates/{detected}/cut-versions").status_code == 404
    assert stranger.post(f"/api/v1/plates/{detected}/cut-versions",
                         json={"base_version": 1, "edits": [{"op": "merge", "order": 2}]}).status_code == 404
