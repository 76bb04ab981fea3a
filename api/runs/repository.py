"""Queries of runs and of the plates the reconcile watches.

Active plates are locked one at a time with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two ticks
running at once never handle the same plate; SQLite has no row locks (the embedded reconcile runs
one tick at a time, see ``api.runs.context``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from api.db.locks import take_write_lock
from api.plates.models import Plate, PlateState
from api.plates.states import ACTIVE_STATES
from api.runs.models import Run, RunState

NAME_BATCH = 500  # job names per IN (...) query


@dataclass(frozen=True)
class RunView:
    """What the reconcile decides from: a run as read, detached from any session."""

    state: RunState
    tries: int
    created_at: datetime
    submitted_at: datetime | None
    missing_since: datetime | None

    @classmethod
    def of(cls, run: Run) -> RunView:
        return cls(run.state, run.tries, run.created_at, run.submitted_at, run.missing_since)


@dataclass(frozen=True)
class ActivePlate:
    """An active plate and its current run (None: a plate queued before runs were recorded)."""

    plate_id: uuid.UUID
    state: PlateState
    attempt: int
    job_name: str | None
    run: RunView | None


def active_plates(session: Session) -> list[ActivePlate]:
    """Every queued or running plate with its current run, without locks (one query)."""
    query = (select(Plate.id, Plate.state, Plate.attempt, Plate.job_name, Run)
             .outerjoin(Run, and_(Run.plate_id == Plate.id, Run.attempt == Plate.attempt))
             .where(Plate.state.in_(ACTIVE_STATES)))
    return [ActivePlate(pid, state, attempt, job_name, RunView.of(run) if run is not None else None)
            for pid, state, attempt, job_name, run in session.execute(query)]


def lock_active_plate(session: Session, plate_id: uuid.UUID) -> Plate | None:
    """The plate, row-locked, when it is still active and no other transaction holds it (call it
    first in a transaction). SQLite has no row locks: its write lock is taken instead (BEGIN
    IMMEDIATE), so that what is read is what is written over."""
    take_write_lock(session)
    query = select(Plate).where(Plate.id == plate_id, Plate.state.in_(ACTIVE_STATES))
    return session.scalar(query.with_for_update(skip_locked=True, of=Plate))


def update_pending_run(session: Session, run: Run, **values: object) -> bool:
    """Set ``values`` on the run only if it is still ``submit_pending`` (compare and set: a cancel
    committed meanwhile is never written over); True when it was. The session's ``run`` follows."""
    result = session.execute(update(Run).where(Run.id == run.id, Run.state == RunState.SUBMIT_PENDING)
                             .values(**values), execution_options={"synchronize_session": "fetch"})
    return bool(getattr(result, "rowcount", 0) == 1)


def run_of(session: Session, plate_id: uuid.UUID, attempt: int) -> Run | None:
    return session.scalar(select(Run).where(Run.plate_id == plate_id, Run.attempt == attempt))


def runs_of_plate(session: Session, plate_id: uuid.UUID) -> Sequence[Run]:
    return session.scalars(select(Run).where(Run.plate_id == plate_id).order_by(Run.attempt)).all()


def finished_runs_named(session: Session, names: Collection[str]) -> dict[str, Run]:
    """Runs of these job names that are no longer their plate's current, active attempt."""
    found: dict[str, Run] = {}
    ordered = sorted(names)
    for start in range(0, len(ordered), NAME_BATCH):
        batch = ordered[start:start + NAME_BATCH]
        query = (select(Run).join(Plate, Plate.id == Run.plate_id).where(Run.job_name.in_(batch))
                 .where((Plate.attempt != Run.attempt) | Plate.state.not_in(ACTIVE_STATES)))
        found.update((run.job_name, run) for run in session.scalars(query))
    return found


def submitted_active_runs(session: Session) -> int:
    """Runs whose job the launcher holds and that have not finished: the current attempt of a queued
    or running plate, submitted. What counts against the site's limit."""
    query = (select(func.count()).select_from(Run)
             .join(Plate, and_(Plate.id == Run.plate_id, Plate.attempt == Run.attempt))
             .where(Run.submitted_at.is_not(None), Run.state.in_([RunState.QUEUED, RunState.RUNNING]),
                    Plate.state.in_(ACTIVE_STATES)))
    return int(session.scalar(query) or 0)
