"""Runs under faults, with a scripted in-memory launcher (submit failures, vanished jobs, a launcher
that cannot list), storage errors during ingest, a database that is down, and ticks side by side."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.config import Settings
from api.cuts.models import Cut
from api.db.engine import make_engine, make_session_factory
from api.integrations.launcher import JobPhase
from api.integrations.storage import ObjectInfo, Storage, StorageError
from api.plates.models import Plate, PlateState
from api.runs import uris
from api.runs.context import RunContext
from api.runs.models import Run, RunState
from api.runs.names import job_name_for
from api.runs.reconcile import TickFailed, TickReport, reconcile_once
from tests.api.conftest import Caller
from tests.api.runs_support import ScriptedLauncher, make_manifest

pytest_plugins = ["tests.api.runs_fixtures"]

@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    runs = runs_settings.runs.model_copy(update={"lost_grace_seconds": 0, "max_attempts": 2})
    return runs_settings.model_copy(update={"runs": runs})


def ctx(app: FastAPI) -> RunContext:
    context: RunContext = app.state.run_context
    return context


def tick(app: FastAPI) -> TickReport:
    return reconcile_once(ctx(app))


def plate_row(db: Session, plate_id: str) -> Plate:
    db.expire_all()
    plate = db.get(Plate, uuid.UUID(plate_id))
    assert plate is not None
    return plate


def runs(db: Session, plate_id: str) -> list[Run]:
    db.expire_all()
    return list(db.scalars(select(Run).where(Run.plate_id == uuid.UUID(plate_id)).order_by(Run.attempt)))


def cut_count(db: Session, plate_id: str) -> int:
    query = select(func.count()).select_from(Cut).where(Cut.plate_id == uuid.UUID(plate_id))
    return int(db.scalar(query) or 0)


def store_manifest(app: FastAPI, db: Session, plate_id: str, names: list[str], attempt: int = 1) -> None:
    """What a finished job leaves: its manifest under the attempt's prefix."""
    key = uris.manifest_key(plate_row(db, plate_id), attempt)
    ctx(app).storage.put_bytes(key, make_manifest(names).to_json().encode(), "application/json")


def succeed(app: FastAPI, launcher: ScriptedLauncher, db: Session, plate: dict[str, Any],
            names: list[str]) -> None:
    store_manifest(app, db, plate["id"], names)
    launcher.set(plate["job_name"], JobPhase.SUCCEEDED, exit_code=0, message=f"ok: {len(names)} cuts")


def test_a_failed_submit_leaves_the_plate_queued_and_the_tick_submits_it(
        caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    launcher.fail_submits = 1
    plate = caller.uploaded_plate(b"x")
    assert plate["state"] == "queued"
    [run] = runs(db, plate["id"])
    assert run.state is RunState.SUBMIT_PENDING and (run.reason or "").startswith("submit failed")
    assert launcher.jobs == {}
    report = tick(app)
    assert (report.submitted, report.changed) == (1, 1)
    [run] = runs(db, plate["id"])
    assert (run.state, run.reason, run.submitted_at is not None) == (RunState.QUEUED, None, True)
    assert launcher.verbs("submit") == [plate["job_name"]] * 2  # the same name: idempotent
    assert tick(app).changed == 0


def test_a_job_created_by_a_submit_that_failed_is_adopted(
        caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    launcher.create_then_fail = True
    plate = caller.uploaded_plate(b"x")
    assert runs(db, plate["id"])[0].state is RunState.SUBMIT_PENDING
    assert tick(app).changed == 1
    assert runs(db, plate["id"])[0].state is RunState.QUEUED
    assert launcher.verbs("submit") == [plate["job_name"]]  # found in the listing: not submitted again


def test_a_launcher_that_cannot_list_fails_the_tick_and_changes_nothing(
        caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    succeed(app, launcher, db, plate, ["A"])
    before = plate_row(db, plate["id"]).updated_at
    launcher.fail_statuses = True
    with pytest.raises(TickFailed, match="cannot list jobs"):
        tick(app)
    assert plate_row(db, plate["id"]).updated_at == before and cut_count(db, plate["id"]) == 0
    launcher.fail_statuses = False
    assert tick(app).ingested == 1


def test_suspended_by_kueue_is_queued_then_running(caller: Caller, app: FastAPI, launcher: ScriptedLauncher,
                                                   db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.set(plate["job_name"], JobPhase.PENDING, reason="Suspended")
    assert tick(app).changed == 0
    assert plate_row(db, plate["id"]).state is PlateState.QUEUED
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    launcher.set(plate["job_name"], JobPhase.RUNNING, reason=None, started_at=started)
    assert tick(app).changed == 1
    row = plate_row(db, plate["id"])
    assert (row.state, row.started_at) == (PlateState.RUNNING, started)
    assert runs(db, plate["id"])[0].state is RunState.RUNNING
    launcher.set(plate["job_name"], JobPhase.PENDING)  # between two pods: still running
    assert tick(app).changed == 0 and plate_row(db, plate["id"]).state is PlateState.RUNNING


def test_pod_failure_policy_rejects(caller: Caller, app: FastAPI, launcher: ScriptedLauncher,
                                    db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.set(plate["job_name"], JobPhase.FAILED, reason="PodFailurePolicy",
                 message="error 66: s3://b/k: no such object")
    report = tick(app)
    assert (report.rejected, report.retried, report.deleted) == (1, 0, 1)
    row = plate_row(db, plate["id"])
    assert (row.state, row.state_reason) == (PlateState.REJECTED, "error 66: s3://b/k: no such object")
    assert plate["job_name"] not in launcher.jobs


@pytest.mark.parametrize("code", [69, 77])
def test_a_fault_of_the_site_fails_the_plate_without_a_retry(caller: Caller, app: FastAPI, code: int,
                                                             launcher: ScriptedLauncher, db: Session) -> None:
    # ffmpeg missing from the image, storage credentials refused: a new attempt would end the same
    plate = caller.uploaded_plate(b"x")
    launcher.set(plate["job_name"], JobPhase.FAILED, reason="PodFailurePolicy", exit_code=code,
                 message=f"error {code}: the job cannot run here")
    report = tick(app)
    assert (report.failed, report.retried, report.rejected) == (1, 0, 0)
    row = plate_row(db, plate["id"])
    assert row.state is PlateState.FAILED and f"error {code}" in (row.state_reason or "")
    assert [(r.attempt, r.state, r.exit_code) for r in runs(db, plate["id"])] == [(1, RunState.FAILED, code)]


def test_deadline_then_backoff_exhaust_the_attempts(caller: Caller, app: FastAPI,
                                                    launcher: ScriptedLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.set(plate["job_name"], JobPhase.FAILED, reason="DeadlineExceeded",
                 message="Job was active longer than specified deadline")
    assert tick(app).retried == 1
    second = job_name_for(plate["id"], 2)
    assert plate_row(db, plate["id"]).job_name == second and second in launcher.jobs
    launcher.set(second, JobPhase.FAILED, reason="BackoffLimitExceeded", exit_code=70,
                 message="error 70: internal error: KeyError: 'x'")
    report = tick(app)
    assert (report.retried, report.failed) == (0, 1)
    row = plate_row(db, plate["id"])
    assert row.state is PlateState.FAILED
    assert row.state_reason == "BackoffLimitExceeded; error 70: internal error: KeyError: 'x'"
    assert [(r.attempt, r.state, r.exit_code) for r in runs(db, plate["id"])] == [
        (1, RunState.FAILED, None), (2, RunState.FAILED, 70)]


def test_a_vanished_job_is_lost_and_retried_then_failed(caller: Caller, app: FastAPI,
                                                        launcher: ScriptedLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.jobs.clear()  # kubectl delete
    report = tick(app)
    assert (report.lost, report.retried) == (1, 1)
    launcher.jobs.clear()
    report = tick(app)
    assert (report.lost, report.failed) == (1, 1)
    row = plate_row(db, plate["id"])
    assert row.state is PlateState.FAILED
    assert row.state_reason == "lost: the job vanished without leaving a manifest"
    assert [r.state for r in runs(db, plate["id"])] == [RunState.LOST, RunState.LOST]


def test_a_job_submitted_after_the_listing_is_not_taken_for_lost(
        caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.jobs.clear()
    run = runs(db, plate["id"])[0]
    run.submitted_at = datetime.now(UTC).replace(year=2100)  # as if submitted after this tick's listing
    db.commit()
    assert tick(app).changed == 0


def test_queued_too_long_is_reported(caller: Caller, app: FastAPI, settings: Settings) -> None:
    caller.uploaded_plate(b"x")
    impatient = settings.model_copy(update={"runs": settings.runs.model_copy(
        update={"queued_warn_seconds": 1e-6})})
    report = reconcile_once(replace(ctx(app), settings=impatient))
    assert (report.seen, report.queued_too_long, report.launcher_calls) == (1, 1, 1)


def test_a_cancel_the_launcher_missed_is_swept(caller: Caller, app: FastAPI, launcher: ScriptedLauncher,
                                               db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.fail_cancels = True
    assert caller.post(f"/api/v1/plates/{plate['id']}/cancel").json()["state"] == "cancelled"
    assert plate["job_name"] in launcher.jobs
    launcher.fail_cancels = False
    report = tick(app)
    assert (report.seen, report.deleted) == (0, 1)
    assert launcher.verbs("cancel") == [plate["job_name"]] * 2 and launcher.jobs == {}
    assert runs(db, plate["id"])[0].state is RunState.CANCELLED


def test_logs_route(caller: Caller, launcher: ScriptedLauncher) -> None:
    plate = caller.uploaded_plate(b"x")
    answer = caller.get(f"/api/v1/plates/{plate['id']}/logs?tail=5").json()
    assert answer == {"plate_id": plate["id"], "attempt": 1, "job_name": plate["job_name"],
                      "text": f"log of {plate['job_name']}\n"}
    launcher.fail_logs = True
    response = caller.get(f"/api/v1/plates/{plate['id']}/logs")
    assert response.status_code == 503 and response.json()["code"] == "launcher_unavailable"
    assert caller.get(f"/api/v1/plates/{uuid.uuid4()}/runs").status_code == 404


def test_an_invalid_manifest_fails_without_retry(caller: Caller, app: FastAPI, launcher: ScriptedLauncher,
                                                 db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    key = uris.manifest_key(plate_row(db, plate["id"]), 1)
    ctx(app).storage.put_bytes(key, b'{"schema_version": 1}', "application/json")
    launcher.set(plate["job_name"], JobPhase.SUCCEEDED, exit_code=0)
    report = tick(app)
    assert (report.failed, report.retried, report.ingested) == (1, 0, 0)
    row = plate_row(db, plate["id"])
    assert row.state is PlateState.FAILED and (row.state_reason or "").startswith("invalid manifest")


class FlakyStorage:
    """The app's storage, whose reads fail ``failures`` times first (S3 down for a moment)."""

    def __init__(self, inner: Storage, failures: int = 1, delay: float = 0.0) -> None:
        self.inner, self.failures, self.delay = inner, failures, delay

    def head(self, key: str) -> ObjectInfo | None:
        return self.inner.head(key)

    def get_bytes(self, key: str) -> bytes:
        time.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise StorageError("reading an object failed: connection reset")
        return self.inner.get_bytes(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_storage_error_during_ingest_changes_nothing_until_the_next_tick(
        caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    succeed(app, launcher, db, plate, ["A", "B"])
    before = plate_row(db, plate["id"]).updated_at
    flaky = replace(ctx(app), storage=FlakyStorage(ctx(app).storage))
    report = reconcile_once(flaky)
    assert (report.errors, report.changed, report.ingested) == (1, 0, 0)
    row = plate_row(db, plate["id"])
    assert (row.state, row.updated_at, cut_count(db, plate["id"])) == (PlateState.QUEUED, before, 0)
    assert plate["job_name"] in launcher.jobs
    report = reconcile_once(flaky)
    assert (report.errors, report.ingested) == (0, 1)
    assert plate_row(db, plate["id"]).state is PlateState.SUCCEEDED and cut_count(db, plate["id"]) == 2


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_database_that_is_down_fails_the_tick_and_loses_nothing(
        caller: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"x")
    succeed(app, launcher, db, plate, ["A"])
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/platecut")
    down = replace(ctx(app), session_factory=make_session_factory(engine))
    try:
        with pytest.raises(TickFailed, match="database"):
            reconcile_once(down)
    finally:
        engine.dispose()
    assert plate_row(db, plate["id"]).state is PlateState.QUEUED and plate["job_name"] in launcher.jobs
    report = tick(app)
    assert (report.ingested, report.changed) == (1, 1)
    assert plate_row(db, plate["id"]).state is PlateState.SUCCEEDED


def test_two_ticks_at_once_handle_each_plate_once(caller: Caller, app: FastAPI, launcher: ScriptedLauncher,
                                                  db: Session) -> None:
    plates = [caller.uploaded_plate(b"x") for _ in range(6)]
    for plate in plates:
        succeed(app, launcher, db, plate, ["A", "B", "C"])
    slow = replace(ctx(app), storage=FlakyStorage(ctx(app).storage, failures=0, delay=0.05))
    barrier = threading.Barrier(2)
    reports: list[TickReport] = []

    def run() -> None:
        barrier.wait()
        reports.append(reconcile_once(slow))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(reports) == 2
    assert sum(r.changed for r in reports) == sum(r.ingested for r in reports) == len(plates)
    assert sum(r.errors for r in reports) == 0
    if db.get_bind().dialect.name == "postgresql":  # side by side, kept apart by SKIP LOCKED
        assert not any(r.skipped for r in reports) and all(r.seen == len(plates) for r in reports)
    else:  # SQLite: one tick at a time (a file lock), the other skipped or after it
        assert any(r.skipped for r in reports) or min(r.changed for r in reports) == 0
    for plate in plates:
        assert plate_row(db, plate["id"]).state is PlateState.SUCCEEDED
        assert cut_count(db, plate["id"]) == 3 and len(runs(db, plate["id"])) == 1


def test_deleting_a_plate_deletes_its_job(caller: Caller, launcher: ScriptedLauncher) -> None:
    plate = caller.uploaded_plate(b"x")
    launcher.fail_cancels = True
    caller.post(f"/api/v1/plates/{plate['id']}/cancel")
    launcher.fail_cancels = False
    assert caller.delete(f"/api/v1/plates/{plate['id']}").status_code == 204
    assert launcher.jobs == {} and launcher.verbs("cancel") == [plate["job_name"]] * 2
