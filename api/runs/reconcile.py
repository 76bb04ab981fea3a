"""The reconcile: one tick brings the database in line with what the launcher's jobs did.

``reconcile_once(ctx)`` makes ONE ``launcher.statuses()`` call (all our jobs), reads the active plates
(one query), and locks and handles only the plates whose job moved on. Then jobs whose outcome is
already committed (or whose plate moved on: cancelled, retried) are deleted or cancelled. Safe to run
twice, and side by side (see ``api.runs.context``). The API runs it in-process every
``PLATECUT_RECONCILE_SECONDS`` without a broker; with one, Celery beat calls it. Each tick ends with
the sweep when it is due (``api.sweep.tick``: expired uploads, abandoned plates, stale temporary
files), then the drop folders' listing (``api.drops.tick``: dropped objects become plates)::

    from api.runs.reconcile import RunContext, reconcile_once
    report = reconcile_once(RunContext.from_settings())   # TickReport; raises TickFailed
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from api.db.base import utcnow
from api.drops.tick import take_drops
from api.errors import Conflict
from api.integrations.launcher import JobPhase, JobStatus, LauncherError
from api.integrations.storage import StorageError
from api.plates.models import PlateState
from api.runs import repository
from api.runs.context import RunContext
from api.runs.decide import Action, decide
from api.runs.flows import handle_plate
from api.runs.report import TickFailed, TickReport
from api.sweep.tick import sweep_if_due

__all__ = ["RunContext", "TickFailed", "TickReport", "reconcile_once"]

log = logging.getLogger(__name__)
FINISHED = frozenset({JobPhase.SUCCEEDED, JobPhase.FAILED})
PLATE_ERRORS = (StorageError, LauncherError, SQLAlchemyError, Conflict)  # Conflict: a racing request


def reconcile_once(ctx: RunContext) -> TickReport:
    """One tick; ``TickFailed`` when the launcher cannot list jobs or the database cannot be read
    (nothing changed). Problems with one plate leave it for the next tick (``report.errors``)."""
    report = TickReport()
    started, calls = time.monotonic(), _calls(ctx)
    try:
        with ctx.tick_lock() as may_run:
            if may_run:
                _tick_then_sweep(ctx, report)
            else:
                report.skipped = True
    finally:
        report.duration_seconds = round(time.monotonic() - started, 4)
        after = _calls(ctx)
        report.launcher_calls = after - calls if after is not None and calls is not None else None
    if report.noteworthy:
        log.info("reconcile tick", extra={"report": report.as_dict()})
    return report


def _tick_then_sweep(ctx: RunContext, report: TickReport) -> None:
    """The tick, then the sweep when it is due, then the drop folders: also when the launcher cannot
    list jobs (neither needs the launcher's listing)."""
    try:
        _tick(ctx, report)
    finally:
        try:
            sweep_if_due(ctx, report)
        finally:
            take_drops(ctx, report)


def _tick(ctx: RunContext, report: TickReport) -> None:
    snapshot_at = utcnow()
    try:
        statuses = ctx.launcher.statuses()
    except LauncherError as exc:
        raise TickFailed(f"the launcher cannot list jobs: {exc}") from exc
    try:
        with ctx.session_factory() as session:
            plates = repository.active_plates(session)
    except SQLAlchemyError as exc:
        raise TickFailed(f"the database cannot be read: {exc}") from exc
    for plate in plates:
        report.seen += 1
        _note_queued(ctx, plate, snapshot_at, report)
        status = statuses.get(plate.job_name) if plate.job_name else None
        step = decide(plate.state, plate.run, status, snapshot_at, ctx.settings.runs.max_attempts)
        if step.action is Action.NOTHING:
            continue
        try:
            handle_plate(ctx, plate.plate_id, statuses, snapshot_at, report)
        except PLATE_ERRORS as exc:
            report.errors += 1
            log.warning("reconcile: plate left for the next tick",
                        extra={"plate_id": str(plate.plate_id), "error": f"{type(exc).__name__}: {exc}"})
    _sweep(ctx, statuses, {p.job_name for p in plates if p.job_name}, report)


def _note_queued(ctx: RunContext, plate: repository.ActivePlate, now: datetime, report: TickReport) -> None:
    if plate.state is not PlateState.QUEUED or plate.run is None:
        return
    if now - plate.run.created_at > timedelta(seconds=ctx.settings.runs.queued_warn_seconds):
        report.queued_too_long += 1
        log.warning("plate queued too long", extra={"plate_id": str(plate.plate_id), "job": plate.job_name,
                                                    "queued_since": plate.run.created_at.isoformat()})


def _sweep(ctx: RunContext, statuses: dict[str, JobStatus], active: set[str], report: TickReport) -> None:
    """Delete (finished) or cancel (still going) jobs of runs that are no longer current and active:
    a delete that failed earlier, a cancel the API could not make, an attempt retried elsewhere."""
    names = {name for name, status in statuses.items() if name not in active
             and status.phase is not JobPhase.MISSING}
    if not names:
        return
    try:
        with ctx.session_factory() as session:
            stale = repository.finished_runs_named(session, names)
    except SQLAlchemyError as exc:
        report.errors += 1
        log.warning("reconcile: sweep skipped", extra={"error": str(exc)})
        return
    for name in stale:
        try:
            if statuses[name].phase in FINISHED:
                ctx.launcher.delete(name)
            else:
                ctx.launcher.cancel(name)
        except LauncherError as exc:
            report.errors += 1
            log.warning("reconcile: job not removed", extra={"job": name, "error": str(exc)})
            continue
        report.deleted += 1


def _calls(ctx: RunContext) -> int | None:
    calls = getattr(ctx.launcher, "calls", None)
    return calls if isinstance(calls, int) else None
