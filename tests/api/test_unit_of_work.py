"""One transaction boundary: the unit of work commits once, side effects wait for the commit, and a
failure anywhere before it leaves no row behind (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from api.db.unit_of_work import unit_of_work
from api.integrations.launcher import JobRequest, JobStatus
from api.integrations.storage import StorageError
from api.plates.models import Plate, PlateState
from api.projects.models import Site
from api.runs.models import Run
from api.uploads import service as uploads
from tests.api.conftest import Caller
from tests.api.runs_support import ScriptedLauncher

pytest_plugins = ["tests.api.runs_fixtures"]


class CheckingLauncher(ScriptedLauncher):
    """Records, at each submit, whether the job's run was already committed (read from another
    connection, which sees only what is committed)."""

    def __init__(self, app_holder: dict[str, FastAPI]) -> None:
        super().__init__()
        self.app_holder = app_holder
        self.committed_at_submit: list[bool] = []

    def submit(self, request: JobRequest) -> JobStatus:
        with self.app_holder["app"].state.session_factory() as other:
            found = other.scalar(select(func.count()).select_from(Run)
                                 .where(Run.job_name == request.job_name))
        self.committed_at_submit.append(found == 1)
        return super().submit(request)


@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    return runs_settings


@pytest.fixture
def holder() -> dict[str, FastAPI]:
    return {}


@pytest.fixture
def launcher(holder: dict[str, FastAPI]) -> CheckingLauncher:
    return CheckingLauncher(holder)


@pytest.fixture
def app(settings: Settings, launcher: CheckingLauncher, holder: dict[str, FastAPI]) -> FastAPI:
    holder["app"] = create_app(settings, launcher=launcher)
    return holder["app"]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _plates_named(db: Session, name: str) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Plate).where(Plate.name == name)) or 0)


def test_a_block_that_raises_after_the_flush_leaves_no_row(app: FastAPI, db: Session) -> None:
    name = f"site-{uuid.uuid4().hex[:8]}"
    done: list[str] = []
    with pytest.raises(RuntimeError), unit_of_work(app.state.session_factory) as uow:
        uow.session.add(Site(name=name))
        uow.session.flush()
        uow.after_commit(lambda: done.append("after"))
        raise RuntimeError("after the flush")
    assert db.scalar(select(func.count()).select_from(Site).where(Site.name == name)) == 0
    assert done == []  # a rolled-back unit runs none of its after-commit actions


def test_after_commit_actions_run_in_order_once_committed(app: FastAPI, db: Session) -> None:
    name = f"site-{uuid.uuid4().hex[:8]}"
    seen: list[tuple[str, int]] = []

    def count() -> int:
        with app.state.session_factory() as other:  # another connection: only what is committed
            return int(other.scalar(select(func.count()).select_from(Site).where(Site.name == name)) or 0)

    with unit_of_work(app.state.session_factory) as uow:
        uow.session.add(Site(name=name))
        uow.after_commit(lambda: seen.append(("first", count())))
        uow.after_commit(lambda: seen.append(("second", count())))
        assert seen == []
    assert seen == [("first", 1), ("second", 1)]


def test_a_request_failing_after_its_insert_leaves_no_plate(caller: Caller, db: Session,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def storage_down(*_args: Any, **_kwargs: Any) -> None:
        raise StorageError("the storage went away")

    monkeypatch.setattr(uploads, "instructions", storage_down)  # runs after the plate's INSERT
    response = caller.post("/api/v1/plates", json={"name": "lost.mov", "project": "proj", "size": 10})
    assert response.status_code == 503
    assert _plates_named(db, "lost.mov") == 0


def test_the_job_is_submitted_only_once_its_run_is_committed(caller: Caller, launcher: CheckingLauncher,
                                                             db: Session) -> None:
    plate = caller.uploaded_plate(b"c" * 10, name="committed.mov")
    assert plate["state"] == "queued"
    assert launcher.committed_at_submit == [True]


def test_no_job_for_a_run_whose_commit_failed(caller: Caller, launcher: CheckingLauncher, db: Session,
                                              app: FastAPI) -> None:
    created = caller.create_plate(10, name="uncommitted.mov")
    plate_id = created["plate"]["id"]
    assert caller.send(created["upload"]["put"], b"u" * 10).status_code == 200

    def note_runs(session: Session, _context: object) -> None:
        if any(isinstance(row, Run) for row in session.new):  # still the flushed rows, after a flush
            session.info["inserted_run"] = True

    def refuse_runs(session: Session) -> None:
        if session.info.pop("inserted_run", False):
            raise RuntimeError("the database refused the commit")

    event.listen(Session, "after_flush", note_runs)
    event.listen(Session, "before_commit", refuse_runs)
    try:
        response = caller.post(f"/api/v1/plates/{plate_id}/upload/complete")
    finally:
        event.remove(Session, "after_flush", note_runs)
        event.remove(Session, "before_commit", refuse_runs)
    assert response.status_code == 500, response.text
    assert launcher.verbs("submit") == []
    db.expire_all()
    row = db.get(Plate, uuid.UUID(plate_id))
    assert row is not None and row.state is PlateState.AWAITING_UPLOAD
    assert db.scalar(select(func.count()).select_from(Run).where(Run.plate_id == row.id)) == 0
