"""Requests racing on one plate, for real (threads through the app, SQLite and PostgreSQL).

Complete, cancel, retry and delete are sent at the same moment, over and over; after each round the
database and the launcher must agree: one state per plate, no active run without its job, no job
without an active run of a plate that is queued or running, and the site's count of running jobs is
the number of jobs the launcher holds.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.plates.models import Plate, PlateState
from api.plates.states import ACTIVE_STATES
from api.runs import repository as runs_repository
from api.runs.models import ACTIVE_RUN_STATES, Run, RunState
from tests.api.conftest import Caller
from tests.api.runs_support import ScriptedLauncher

pytest_plugins = ["tests.api.runs_fixtures"]

pytestmark = pytest.mark.slow  # real concurrency, many rounds

ROUNDS = 50
SEED = 11  # the order requests are started in, per round: fixed, so a failure can be replayed
ANSWERS = {200, 204, 404, 409}  # anything else (a 500) is a failure


def _at_once(calls: list[Callable[[], Response]]) -> list[Response]:
    """Start every call at the same moment (a barrier), each on its own thread."""
    barrier = threading.Barrier(len(calls))
    answers: list[Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(answer is not None for answer in answers), "a request did not return"
    return [answer for answer in answers if answer is not None]


def _round_calls(caller: Caller, plate_id: str, rng: random.Random) -> list[Callable[[], Response]]:
    base = f"/api/v1/plates/{plate_id}"
    calls: list[Callable[[], Response]] = [
        lambda: caller.post(f"{base}/upload/complete"),
        lambda: caller.post(f"{base}/upload/complete"),
        lambda: caller.post(f"{base}/cancel"),
        lambda: caller.post(f"{base}/retry"),
        lambda: caller.delete(base),
    ]
    rng.shuffle(calls)
    return calls


def _check_invariants(db: Session, launcher: ScriptedLauncher, plate_id: uuid.UUID) -> None:
    db.expire_all()
    plate = db.get(Plate, plate_id)
    runs = list(db.scalars(select(Run).where(Run.plate_id == plate_id))) if plate else []
    active_runs = [run for run in runs if run.state in ACTIVE_RUN_STATES]
    if plate is None or plate.state not in ACTIVE_STATES:
        assert active_runs == [], f"plate {plate.state if plate else 'deleted'} kept a run {active_runs}"
    else:
        assert [run.attempt for run in active_runs] == [plate.attempt]
    jobs_of_plate = {name for name in launcher.jobs if name in {run.job_name for run in runs}}
    submitted = {run.job_name for run in active_runs if run.submitted_at is not None}
    assert jobs_of_plate == submitted, f"jobs {jobs_of_plate} but submitted runs {submitted}"


def test_complete_cancel_retry_and_delete_at_once_keep_one_story(
        caller: Caller, launcher: ScriptedLauncher, db: Session) -> None:
    rng = random.Random(SEED)
    seen: dict[int, int] = {}
    for _ in range(ROUNDS):
        created = caller.create_plate(10, name="raced.mov")
        plate_id = created["plate"]["id"]
        assert caller.send(created["upload"]["put"], b"r" * 10).status_code == 200
        for answer in _at_once(_round_calls(caller, plate_id, rng)):
            assert answer.status_code in ANSWERS, answer.text
            seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
        _check_invariants(db, launcher, uuid.UUID(plate_id))
    assert runs_repository.submitted_active_runs(db) == len(launcher.jobs)
    assert seen.get(200, 0) > 0 and seen.get(409, 0) > 0  # the races did happen both ways


def test_ten_completes_at_once_launch_the_plate_once(caller: Caller, launcher: ScriptedLauncher,
                                                     db: Session) -> None:
    for _ in range(5):
        created = caller.create_plate(10, name="tenfold.mov")
        plate_id = created["plate"]["id"]
        assert caller.send(created["upload"]["put"], b"t" * 10).status_code == 200
        complete = f"/api/v1/plates/{plate_id}/upload/complete"
        answers = _at_once([lambda path=complete: caller.post(path)] * 10)
        bodies: list[dict[str, Any]] = [a.json() for a in answers if a.status_code == 200]
        assert {a.status_code for a in answers} <= {200, 409}
        db.expire_all()
        row = db.get(Plate, uuid.UUID(plate_id))
        assert row is not None and row.state is PlateState.QUEUED
        assert all(body["state"] == "queued" for body in bodies)  # never 200 with the plate not moved
        runs = list(db.scalars(select(Run).where(Run.plate_id == row.id)))
        assert [(run.attempt, run.state) for run in runs] == [(1, RunState.QUEUED)]
        assert launcher.verbs("submit").count(runs[0].job_name) == 1
        caller.post(f"/api/v1/plates/{plate_id}/cancel")
