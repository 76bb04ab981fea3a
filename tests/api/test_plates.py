"""Plates: listing (cursor pages, filters), cancel and retry, delete."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from api.config import Settings
from api.cuts.models import Cut
from api.plates.models import Plate, PlateState
from api.uploads.models import Upload
from tests.api.conftest import PART, Caller


def set_state(db: Session, plate_id: str, state: PlateState, reason: str | None = None) -> None:
    """What a launcher would do: move the plate on."""
    plate = db.get(Plate, uuid.UUID(plate_id))
    assert plate is not None
    plate.state, plate.state_reason = state, reason
    db.commit()


def all_pages(caller: Caller, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = caller.get("/api/v1/plates", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([p["id"] for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pagination_returns_every_plate_once(caller: Caller) -> None:
    made = [caller.create_plate(10 + i, name=f"p{i}.mov")["plate"]["id"] for i in range(7)]
    pages = all_pages(caller, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    listed = [plate_id for page in pages for plate_id in page]
    assert sorted(listed) == sorted(made) and len(set(listed)) == 7
    assert listed == list(reversed(made))  # newest first
    assert all_pages(caller, limit=7) == [listed]
    assert all_pages(caller, limit=200) == [listed]


def test_pagination_with_equal_timestamps(caller: Caller, db: Session) -> None:
    made = [caller.create_plate(10, name=f"p{i}.mov")["plate"]["id"] for i in range(5)]
    same = db.get(Plate, uuid.UUID(made[0]))
    assert same is not None
    for plate_id in made[1:]:
        plate = db.get(Plate, uuid.UUID(plate_id))
        assert plate is not None
        plate.created_at = same.created_at
    db.commit()
    listed = [plate_id for page in all_pages(caller, limit=2) for plate_id in page]
    assert sorted(listed) == sorted(made) and len(listed) == 5


def test_filters(caller: Caller, db: Session) -> None:
    a = caller.create_plate(10, project="proj")["plate"]["id"]
    b = caller.uploaded_plate(b"x" * 10, project="proj")["id"]
    c = caller.uploaded_plate(b"x" * 10, project="other")["id"]
    set_state(db, c, PlateState.FAILED, "exit 65")

    def ids(**params: Any) -> set[str]:
        return {plate_id for page in all_pages(caller, **params) for plate_id in page}

    assert ids(project="proj") == {a, b}
    assert ids(state="uploaded") == {b}
    assert ids(state=["uploaded", "failed"]) == {b, c}
    assert ids(project="other", state="failed") == {c}
    assert ids(project="proj", state="failed") == set()
    bad = caller.get("/api/v1/plates", params={"state": "exploded"})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    for limit in (0, 201):
        assert caller.get("/api/v1/plates", params={"limit": limit}).status_code == 422
    garbage = caller.get("/api/v1/plates", params={"cursor": "not-a-cursor"})
    assert garbage.status_code == 400 and garbage.json()["code"] == "invalid_cursor"


def test_cancel_and_retry(caller: Caller, db: Session) -> None:
    plate_id = caller.uploaded_plate(os.urandom(100))["id"]
    cancelled = caller.post(f"/api/v1/plates/{plate_id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["finished_at"] is not None
    assert cancelled.json()["state_reason"] == "cancelled by the client"
    again = caller.post(f"/api/v1/plates/{plate_id}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"

    retried = caller.post(f"/api/v1/plates/{plate_id}/retry")
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["state"] == "uploaded" and body["attempt"] == 2
    assert body["state_reason"] is None and body["finished_at"] is None

    set_state(db, plate_id, PlateState.FAILED, "job exited 70")
    assert caller.post(f"/api/v1/plates/{plate_id}/retry").json()["attempt"] == 3
    db.expire_all()
    row = db.get(Plate, uuid.UUID(plate_id))
    assert row is not None and row.state is PlateState.UPLOADED and row.attempt == 3


@pytest.mark.parametrize("state", [PlateState.SUCCEEDED, PlateState.REJECTED])
def test_finished_plates_cannot_be_cancelled_or_retried(caller: Caller, db: Session,
                                                        state: PlateState) -> None:
    plate_id = caller.uploaded_plate(b"x" * 10)["id"]
    set_state(db, plate_id, state, "done")
    for action in ("cancel", "retry"):
        response = caller.post(f"/api/v1/plates/{plate_id}/{action}")
        assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    db.expire_all()
    assert db.get(Plate, uuid.UUID(plate_id)).state is state  # type: ignore[union-attr]


def test_retry_needs_an_uploaded_source(caller: Caller) -> None:
    awaiting = caller.create_plate(10)["plate"]["id"]
    assert caller.post(f"/api/v1/plates/{awaiting}/retry").json()["code"] == "invalid_state"
    assert caller.post(f"/api/v1/plates/{awaiting}/cancel").json()["state"] == "cancelled"
    response = caller.post(f"/api/v1/plates/{awaiting}/retry")
    assert response.status_code == 409 and response.json()["code"] == "not_uploaded"


def test_delete_removes_rows_and_files(caller: Caller, db: Session, settings: Settings) -> None:
    data = os.urandom(2 * PART + 10)
    pending = caller.create_plate(len(data))
    caller.upload_parts(pending["upload"], data, [1])
    done = caller.uploaded_plate(b"q" * 100)
    objects = settings.storage_dir() / "objects"
    source = objects / done["source_key"]
    output = objects / done["output_prefix"] / "manifest.json"
    output.parent.mkdir(parents=True)
    output.write_text("{}")
    assert source.exists()
    for plate in (pending["plate"], done):
        response = caller.delete(f"/api/v1/plates/{plate['id']}")
        assert response.status_code == 204, response.text
        assert caller.get(f"/api/v1/plates/{plate['id']}").status_code == 404
        assert db.get(Plate, uuid.UUID(plate["id"])) is None
        assert db.scalar(select(func.count()).select_from(Upload)
                         .where(Upload.plate_id == uuid.UUID(plate["id"]))) == 0
        assert db.scalar(select(func.count()).select_from(Cut)
                         .where(Cut.plate_id == uuid.UUID(plate["id"]))) == 0
    assert not source.exists() and not output.exists()
    assert not any((settings.storage_dir() / "multipart").iterdir())
    assert caller.delete(f"/api/v1/plates/{done['id']}").status_code == 404


def test_running_plates_cannot_be_deleted(caller: Caller, db: Session) -> None:
    plate_id = caller.uploaded_plate(b"r" * 10)["id"]
    set_state(db, plate_id, PlateState.RUNNING)
    response = caller.delete(f"/api/v1/plates/{plate_id}")
    assert response.status_code == 409 and response.json()["code"] == "plate_active"
    assert caller.get(f"/api/v1/plates/{plate_id}").json()["state"] == "running"


def test_a_busy_client_creates_a_plate_in_one_insert_per_table_and_one_commit(
        caller: Caller, app: FastAPI) -> None:
    caller.create_plate(1000)  # the token and the project are looked up once, then remembered
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()[:3]).upper())

    event.listen(app.state.engine, "before_cursor_execute", seen)
    try:
        created = caller.create_plate(1000, name="second.mov")
    finally:
        event.remove(app.state.engine, "before_cursor_execute", seen)
    assert created["plate"]["project"] == "proj" and created["plate"]["name"] == "second.mov"
    assert [s for s in statements if not s.startswith("SELECT 1")] == [
        "INSERT INTO PLATES", "INSERT INTO UPLOADS"]
    assert caller.get(f"/api/v1/plates/{created['plate']['id']}").json()["project"] == "proj"
