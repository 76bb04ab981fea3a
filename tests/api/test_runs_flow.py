"""Runs end to end on SQLite and PostgreSQL: upload -> queued -> the real ``LocalLauncher`` runs a
stand-in job program -> reconcile -> running -> succeeded (or rejected, retried, lost, cancelled)."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from api.cuts.models import Cut, PlateOutput
from api.integrations.launcher import JobPhase
from api.integrations.local import LocalLauncher
from api.plates.models import Plate, PlateState
from api.runs.models import Run, RunState
from api.runs.names import job_name_for
from api.runs.reconcile import TickReport, reconcile_once
from api.runs.repository import submitted_active_runs
from jobs.manifest import Manifest
from tests.api.conftest import Caller
from tests.api.runs_support import FINISHED, standin_command, wait_for

pytest_plugins = ["tests.api.runs_fixtures"]

@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    return runs_settings


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[LocalLauncher]:
    local = LocalLauncher(tmp_path / "jobs", max_concurrent=4, command=standin_command(tmp_path),
                          kill_grace=3)
    yield local
    for job in local.statuses():  # no stand-in left running, whatever the test did
        local.cancel(job)


@pytest.fixture
def app(settings: Settings, launcher: LocalLauncher) -> FastAPI:
    return create_app(settings, launcher=launcher)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def tick(app: FastAPI) -> TickReport:
    return reconcile_once(app.state.run_context)


def finished(launcher: LocalLauncher, job: str) -> None:
    wait_for(lambda: launcher.statuses([job])[job].phase in FINISHED, what=f"{job} to finish")


def plate_row(db: Session, plate_id: str) -> Plate:
    db.expire_all()
    plate = db.get(Plate, uuid.UUID(plate_id))
    assert plate is not None
    return plate


def runs(db: Session, plate_id: str) -> list[Run]:
    db.expire_all()
    return list(db.scalars(select(Run).where(Run.plate_id == uuid.UUID(plate_id)).order_by(Run.attempt)))


def source_path(settings: Settings, plate: dict[str, Any]) -> Path:
    return settings.storage_dir().resolve() / "objects" / str(plate["source_key"])


def release(settings: Settings, plate: dict[str, Any], then: str = "ok") -> None:
    path = source_path(settings, plate)
    path.with_name(path.name + ".release").write_text(then)


def cut_rows(db: Session, plate_id: str) -> list[Cut]:
    return list(db.scalars(select(Cut).where(Cut.plate_id == uuid.UUID(plate_id)).order_by(Cut.index)))


def test_upload_runs_to_success_and_a_second_tick_changes_nothing(
        caller: Caller, app: FastAPI, launcher: LocalLauncher, settings: Settings, db: Session) -> None:
    plate = caller.uploaded_plate(b"wait\n")
    job = job_name_for(plate["id"], 1)
    assert (plate["state"], plate["attempt"], plate["job_name"]) == ("queued", 1, job)
    listed = caller.get(f"/api/v1/plates/{plate['id']}/runs").json()["items"]
    assert [(r["attempt"], r["job_name"], r["state"]) for r in listed] == [(1, job, "queued")]
    wait_for(lambda: launcher.statuses([job])[job].phase is JobPhase.RUNNING, what="the job to run")
    wait_for(lambda: "standin wait" in caller.get(f"/api/v1/plates/{plate['id']}/logs").json()["text"])

    assert tick(app).changed == 1
    assert caller.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "running"
    release(settings, plate, "ok-3")
    finished(launcher, job)
    report = tick(app)
    assert (report.changed, report.ingested, report.deleted) == (1, 1, 1)

    body = caller.get(f"/api/v1/plates/{plate['id']}").json()
    assert (body["state"], body["state_reason"]) == ("succeeded", "ok: 3 cuts")
    output = settings.storage_dir() / "objects" / plate["output_prefix"] / "a1"
    manifest = Manifest.model_validate_json((output / "manifest.json").read_text())
    cuts = cut_rows(db, plate["id"])
    assert [(c.index, c.name, c.first_frame, c.last_frame, c.media_key) for c in cuts] == [
        (m.index, m.name, m.first_frame, m.last_frame, f"{plate['output_prefix']}a1/{m.media.path}")  # type: ignore[union-attr]
        for m in manifest.cuts]
    assert [r.state for r in runs(db, plate["id"])] == [RunState.SUCCEEDED]
    assert not (launcher.root / job).exists()  # deleted once the outcome was committed

    before = _snapshot(db, plate["id"])
    again = tick(app)
    assert (again.changed, again.ingested, again.errors) == (0, 0, 0)
    assert _snapshot(db, plate["id"]) == before


def test_bad_input_is_rejected_and_not_retried(caller: Caller, app: FastAPI, launcher: LocalLauncher,
                                               db: Session) -> None:
    plate = caller.uploaded_plate(b"bad\n")
    finished(launcher, plate["job_name"])
    report = tick(app)
    assert (report.rejected, report.retried, report.deleted) == (1, 0, 1)
    body = caller.get(f"/api/v1/plates/{plate['id']}").json()
    assert (body["state"], body["state_reason"], body["attempt"]) == (
        "rejected", "error 65: not a video: no frames", 1)
    assert [(r.state, r.exit_code) for r in runs(db, plate["id"])] == [(RunState.REJECTED, 65)]
    assert tick(app).changed == 0
    assert [p.name for p in launcher.root.iterdir() if not p.name.startswith(".")] == []


def test_transient_failure_is_retried_and_its_outputs_never_ingested(
        caller: Caller, app: FastAPI, launcher: LocalLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"transient-once\n")
    first = plate["job_name"]
    finished(launcher, first)
    report = tick(app)
    assert (report.retried, report.ingested, report.failed) == (1, 0, 0)
    body = caller.get(f"/api/v1/plates/{plate['id']}").json()
    second = job_name_for(plate["id"], 2)
    assert (body["state"], body["attempt"], body["job_name"]) == ("queued", 2, second)
    assert [(r.attempt, r.state, r.exit_code, r.tries) for r in runs(db, plate["id"])] == [
        (1, RunState.FAILED, 75, 1), (2, RunState.QUEUED, None, 2)]
    assert runs(db, plate["id"])[0].reason == "error 75: storage unreachable"
    assert not cut_rows(db, plate["id"])

    finished(launcher, second)
    assert tick(app).ingested == 1
    assert caller.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "succeeded"
    cuts = cut_rows(db, plate["id"])
    assert [c.name for c in cuts] == ["SH010", "SH020"]
    assert all(c.media_key and "/output/a2/" in c.media_key for c in cuts)
    outputs = db.scalars(select(PlateOutput.key).where(PlateOutput.plate_id == uuid.UUID(plate["id"])))
    assert all("/output/a2/" in key for key in outputs)


def test_attempts_run_out(caller: Caller, app: FastAPI, launcher: LocalLauncher, settings: Settings,
                          db: Session) -> None:
    plate = caller.uploaded_plate(b"transient\n")
    for attempt in range(1, settings.runs.max_attempts + 1):
        job = job_name_for(plate["id"], attempt)
        finished(launcher, job)
        tick(app)
    body = caller.get(f"/api/v1/plates/{plate['id']}").json()
    assert (body["state"], body["attempt"]) == ("failed", settings.runs.max_attempts)
    assert "error 75" in body["state_reason"]
    assert [r.state for r in runs(db, plate["id"])] == [RunState.FAILED] * settings.runs.max_attempts
    assert not cut_rows(db, plate["id"])


def test_vanished_job_is_lost_after_the_grace_period_then_retried(
        caller: Caller, app: FastAPI, launcher: LocalLauncher, settings: Settings, db: Session) -> None:
    plate = caller.uploaded_plate(b"sleep\n")
    first = plate["job_name"]
    wait_for(lambda: launcher.statuses([first])[first].phase is JobPhase.RUNNING)
    launcher.cancel(first)  # behind the API's back, as kubectl delete or a TTL would
    report = tick(app)
    assert (report.lost, report.retried) == (0, 0)
    assert runs(db, plate["id"])[0].missing_since is not None
    assert plate_row(db, plate["id"]).state is PlateState.QUEUED
    wait_for(lambda: tick(app).lost == 1, timeout=10, what="the grace period to pass")
    body = caller.get(f"/api/v1/plates/{plate['id']}").json()
    assert (body["state"], body["attempt"]) == ("queued", 2)
    assert next((r.state, r.reason) for r in runs(db, plate["id"])) == (
        RunState.LOST, "lost: the job vanished without leaving a manifest")
    release(settings, plate)
    finished(launcher, body["job_name"])
    tick(app)
    assert caller.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "succeeded"


def test_vanished_job_with_its_manifest_succeeds(caller: Caller, app: FastAPI, launcher: LocalLauncher,
                                                 db: Session) -> None:
    plate = caller.uploaded_plate(b"ok-1\n")
    finished(launcher, plate["job_name"])
    shutil.rmtree(launcher.root / plate["job_name"])  # its TTL ran out before the reconcile saw it
    report = tick(app)
    assert (report.ingested, report.lost) == (1, 0)
    assert caller.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "succeeded"
    assert [c.name for c in cut_rows(db, plate["id"])] == ["SH010"]


def test_cancel_kills_the_job_and_retry_launches_attempt_two(
        caller: Caller, app: FastAPI, launcher: LocalLauncher, db: Session) -> None:
    plate = caller.uploaded_plate(b"sleep\n")
    job = plate["job_name"]
    wait_for(lambda: launcher.statuses([job])[job].phase is JobPhase.RUNNING)
    pid = int((launcher.root / job / "pid").read_text())
    body = caller.post(f"/api/v1/plates/{plate['id']}/cancel").json()
    assert (body["state"], body["state_reason"]) == ("cancelled", "cancelled by the client")
    assert not _group_alive(pid)
    assert not (launcher.root / job).exists()
    assert [r.state for r in runs(db, plate["id"])] == [RunState.CANCELLED]
    assert tick(app).changed == 0

    again = caller.post(f"/api/v1/plates/{plate['id']}/retry").json()
    assert (again["state"], again["attempt"]) == ("queued", 2)
    assert again["job_name"] == job_name_for(plate["id"], 2)
    assert (launcher.root / again["job_name"]).is_dir()
    assert [(r.attempt, r.tries) for r in runs(db, plate["id"])] == [(1, 1), (2, 1)]
    caller.post(f"/api/v1/plates/{plate['id']}/cancel")


def test_completing_the_same_upload_twice_at_once_makes_one_job(
        caller: Caller, client: TestClient, launcher: LocalLauncher, db: Session) -> None:
    created = caller.create_plate(8)
    plate_id = created["plate"]["id"]
    assert caller.send(created["upload"]["put"], b"ok-1\n   ").status_code == 200
    barrier = threading.Barrier(3)
    answers: list[int] = []

    def complete() -> None:
        barrier.wait()
        answers.append(caller.post(f"/api/v1/plates/{plate_id}/upload/complete").status_code)

    threads = [threading.Thread(target=complete) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert 200 in answers
    if db.get_bind().dialect.name == "postgresql":  # row locks: the others wait, then answer the plate
        assert answers == [200, 200, 200]
    else:  # no row locks: a loser hits the unique (plate, attempt) of runs: 409 concurrent_launch
        assert set(answers) <= {200, 409}
    jobs = [p.name for p in launcher.root.iterdir() if not p.name.startswith(".")]
    assert jobs == [job_name_for(plate_id, 1)]
    assert len(runs(db, plate_id)) == 1


def _snapshot(db: Session, plate_id: str) -> tuple[object, ...]:
    """The plate's updated_at, its cuts' ids and creation times, its output rows: what a tick may change."""
    outputs = db.scalars(select(PlateOutput.id).where(PlateOutput.plate_id == uuid.UUID(plate_id))).all()
    return (plate_row(db, plate_id).updated_at, [(c.id, c.created_at) for c in cut_rows(db, plate_id)],
            sorted(outputs))


def _group_alive(pgid: int) -> bool:
    from api.integrations.local.jobdir import group_alive

    return group_alive(pgid) or (os.path.exists(f"/proc/{pgid}/cmdline") and bool(
        Path(f"/proc/{pgid}/cmdline").read_bytes()))


def test_the_site_limit_keeps_extra_plates_queued_until_a_job_finishes(
        caller: Caller, app: FastAPI, launcher: LocalLauncher, settings: Settings, db: Session) -> None:
    limit = submitted_active_runs(db) + 1  # jobs other tests of this module left running count too
    limited = app.state.settings.runs.model_copy(update={"max_concurrent_jobs": limit})
    app.state.settings.runs = app.state.run_context.settings.runs = limited
    first = caller.uploaded_plate(b"wait\n", name="first.mov")
    second = caller.uploaded_plate(b"ok\n", name="second.mov")
    assert [r.state for r in runs(db, first["id"])] == [RunState.QUEUED]
    waiting = runs(db, second["id"])
    assert [r.state for r in waiting] == [RunState.SUBMIT_PENDING]
    assert f"waiting: {limit} jobs already running" in (waiting[0].reason or "")
    second_job = job_name_for(second["id"], 1)
    tick(app)
    assert second_job not in launcher.statuses()  # still held back: the first job runs on
    release(settings, first, "ok")
    finished(launcher, job_name_for(first["id"], 1))
    tick(app)  # the first succeeds, which frees the slot
    tick(app)  # and the second goes out
    assert second_job in launcher.statuses()
    finished(launcher, second_job)
    tick(app)
    assert caller.get(f"/api/v1/plates/{second['id']}").json()["state"] == "succeeded"
