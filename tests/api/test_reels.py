"""Reels and versions: declared or read from the plate's name, one plate per version, listed newest
first (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from api.cuts.ingest import ingest_manifest
from api.plates.models import Plate
from api.plates.reel_names import reel_and_version
from tests.api.conftest import Caller, Callers
from tests.api.runs_support import make_manifest


def create(caller: Caller, name: str, **fields: object) -> dict[str, object]:
    response = caller.post("/api/v1/plates", json={"name": name, "project": "proj", "size": 10, **fields})
    assert response.status_code == 201, response.text
    plate: dict[str, object] = response.json()["plate"]
    return plate


@pytest.mark.parametrize(("name", "expected"), [
    ("ep101_r2_v07.mov", ("ep101_r2", 7)), ("EP101_R2_V012.mxf", ("EP101_R2", 12)),
    ("reel-3.v2.mp4", ("reel-3", 2)), ("A001_v1", ("A001", 1)),
    ("A001C003_220314.mov", None), ("ep101_r2_v0.mov", None), ("_v07.mov", None),
    ("my reel_v07.mov", None),  # a reel is a name of letters, digits, '.', '_' and '-'
])
def test_reel_and_version_from_a_name(name: str, expected: tuple[str, int] | None) -> None:
    assert reel_and_version(name) == expected


def test_a_plate_is_a_version_of_a_reel_declared_or_by_its_name(caller: Caller) -> None:
    named = create(caller, "ep101_r2_v07.mov")
    assert (named["reel"], named["version"], named["reel_from"]) == ("ep101_r2", 7, "name")
    assert (named["kind"], named["head_handles"], named["tail_handles"]) == ("reference", 8, 8)
    declared = create(caller, "turnover.mov", reel="ep101_r2", version=8, kind="scan", head_handles=12)
    assert (declared["reel"], declared["version"], declared["reel_from"]) == ("ep101_r2", 8, "declared")
    assert (declared["kind"], declared["head_handles"], declared["tail_handles"]) == ("scan", 12, 8)
    alone = create(caller, "A001C003_220314.mov")
    assert (alone["reel"], alone["version"], alone["reel_from"]) == (None, None, None)
    assert caller.get(f"/api/v1/plates/{named['id']}").json()["reel"] == "ep101_r2"


def test_a_version_taken_is_a_409_naming_the_plate(caller: Caller) -> None:
    first = create(caller, "ep101_r2_v07.mov")
    for body in ({"name": "ep101_r2_v07.mov"}, {"name": "other.mov", "reel": "ep101_r2", "version": 7}):
        response = caller.post("/api/v1/plates", json={**body, "project": "proj", "size": 10})
        assert response.status_code == 409, response.text
        problem = response.json()
        assert (problem["code"], problem["reel"], problem["version"], problem["plate_id"]) == \
            ("version_exists", "ep101_r2", 7, first["id"])
    assert create(caller, "ep101_r2_v07.mov", project="other")["version"] == 7  # another project


@pytest.mark.parametrize("body", [{"reel": "ep101_r2"}, {"version": 3}, {"reel": "bad reel", "version": 1},
                                  {"reel": "r", "version": 0}, {"head_handles": -1}, {"kind": "film"}])
def test_bad_reel_fields_are_422(caller: Caller, body: dict[str, object]) -> None:
    response = caller.post("/api/v1/plates", json={"name": "x.mov", "project": "proj", "size": 10, **body})
    assert response.status_code == 422, response.text


def test_a_projects_own_handles_apply_to_its_plates(callers: Callers) -> None:
    admin = callers(admin=True, make_projects=())
    made = admin.post("/api/v1/projects",
                      json={"name": "longhandles", "head_handles": 16, "tail_handles": 12})
    assert made.status_code == 201 and (made.json()["head_handles"], made.json()["tail_handles"]) == (16, 12)
    plate = create(admin, "x_v1.mov", project="longhandles")
    assert (plate["head_handles"], plate["tail_handles"]) == (16, 12)
    assert create(admin, "x_v2.mov", project="longhandles", tail_handles=0)["tail_handles"] == 0


def test_reels_and_their_versions_newest_first(caller: Caller, db: Session) -> None:
    v7, v8 = create(caller, "ep101_r2_v07.mov"), create(caller, "ep101_r2_v08.mov")
    create(caller, "ep101_r3_v01.mov")
    plate = db.get(Plate, uuid.UUID(str(v7["id"])))
    assert plate is not None
    ingest_manifest(db, plate, make_manifest(["SH010", "SH020", "SH030"]))
    db.commit()
    reels = caller.get("/api/v1/reels?project=proj").json()["items"]
    assert [(r["reel"], r["versions"], r["latest_version"], r["latest_plate_id"]) for r in reels] == [
        ("ep101_r2", 2, 8, v8["id"]), ("ep101_r3", 1, 1, reels[1]["latest_plate_id"])]
    versions = caller.get("/api/v1/reels/ep101_r2/versions?project=proj").json()
    assert [(v["version"], v["plate_id"], v["state"], v["cuts"]) for v in versions["items"]] == [
        (8, v8["id"], "awaiting_upload", 0), (7, v7["id"], "awaiting_upload", 3)]


def test_reels_of_other_projects_and_sites_stay_hidden(caller: Caller, callers: Callers) -> None:
    create(caller, "ep101_r2_v07.mov")
    missing = caller.get("/api/v1/reels/ep999/versions?project=proj")
    assert missing.status_code == 404 and missing.json()["code"] == "reel_not_found"
    stranger = callers("elsewhere")  # a site of its own, with a project "proj" of its own
    assert stranger.get("/api/v1/reels").json()["items"] == []
    hidden = stranger.get("/api/v1/reels/ep101_r2/versions?project=proj")
    assert hidden.status_code == 404 and hidden.json()["code"] == "reel_not_found"
    scoped = callers(projects=("other",), make_projects=())
    assert scoped.get("/api/v1/reels").json()["items"] == []


def test_a_projects_handles_can_change_and_apply_to_new_plates(callers: Callers, caller: Caller) -> None:
    admin = callers(admin=True, make_projects=("show",))
    changed = admin.request("PATCH", "/api/v1/projects/show", json={"head_handles": 24})
    assert changed.status_code == 200
    assert (changed.json()["head_handles"], changed.json()["tail_handles"]) == (24, None)
    assert (create(admin, "a_v1.mov", project="show")["head_handles"],
            create(admin, "b_v1.mov", project="show")["tail_handles"]) == (24, 8)
    back = admin.request("PATCH", "/api/v1/projects/show", json={"head_handles": None})
    assert back.json()["head_handles"] is None
    assert create(admin, "c_v1.mov", project="show")["head_handles"] == 8
    assert caller.request("PATCH", "/api/v1/projects/proj", json={"head_handles": 1}).status_code == 403
    missing = admin.request("PATCH", "/api/v1/projects/nothing", json={"head_handles": 1})
    assert missing.status_code == 404 and missing.json()["code"] == "project_not_found"
    bad = admin.request("PATCH", "/api/v1/projects/show", json={"head_handles": -1})
    assert bad.status_code == 422
