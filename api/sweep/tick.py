"""The sweep, run on the reconcile tick (``reconcile_once`` calls ``sweep_if_due``; the in-process loop
and the Celery task both run that): it removes what nobody will finish or fetch.

- Expired uploads: a plate ``awaiting_upload`` whose upload's ``expires_at`` passed is ``cancelled``
  ("upload expired"), its upload ``aborted``, and its multipart upload (the parts) aborted in storage
  after the commit.
- Abandoned plates (``PLATECUT_SWEEP_ABANDONED_AFTER_SECONDS``, default 0: never): cancelled, failed
  and rejected plates that ended longer ago have every object under their prefix deleted; the row
  stays, ``purged_at`` set. A succeeded plate's objects never are.
- Temporary files of the storage (``KeepsTempFiles``: the disk storage's bodies being received) that
  a dead process left, unchanged for ``PLATECUT_SWEEP_TEMP_MAX_AGE_SECONDS`` (never one being written).

At most every ``PLATECUT_SWEEP_EVERY_SECONDS`` per process, at most ``PLATECUT_SWEEP_BATCH_SIZE`` of each
kind per pass. Safe twice and side by side: each plate is locked and checked again before it is
touched (``api.sweep.repository``). What it removed is counted in the tick's report.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.db.base import utcnow
from api.errors import Conflict
from api.integrations.storage import KeepsTempFiles, StorageError
from api.runs.context import RunContext
from api.runs.report import TickReport
from api.sweep import flows, repository

log = logging.getLogger(__name__)
STEP_ERRORS = (StorageError, SQLAlchemyError, Conflict)  # one plate's: left for the next pass


def sweep_if_due(ctx: RunContext, report: TickReport) -> None:
    """Sweep when enabled and due for this process; problems are counted in ``report.errors``."""
    settings = ctx.settings.sweep
    if not settings.enabled or not ctx.sweep_due(settings.every_seconds):
        return
    report.swept = True
    now = utcnow()
    _expire_uploads(ctx, now, report)
    if settings.abandoned_after_seconds > 0:
        _purge_abandoned(ctx, now - timedelta(seconds=settings.abandoned_after_seconds), report)
    _remove_stale_temp(ctx, report)


def _expire_uploads(ctx: RunContext, now: datetime, report: TickReport) -> None:
    plate_ids = _candidates(ctx, report, "expired uploads", functools.partial(
        repository.expired_uploads, now=now, limit=ctx.settings.sweep.batch_size))
    for plate_id in plate_ids:
        if _step(report, plate_id, functools.partial(flows.expire_upload, ctx, plate_id, now)):
            report.uploads_expired += 1


def _purge_abandoned(ctx: RunContext, ended_before: datetime, report: TickReport) -> None:
    plate_ids = _candidates(ctx, report, "abandoned plates", functools.partial(
        repository.abandoned_plates, ended_before=ended_before, limit=ctx.settings.sweep.batch_size))
    for plate_id in plate_ids:  # each counted once its objects are deleted, after its commit
        _step(report, plate_id, functools.partial(flows.purge_plate, ctx, plate_id, ended_before, report))


def _remove_stale_temp(ctx: RunContext, report: TickReport) -> None:
    storage, settings = ctx.storage, ctx.settings.sweep
    if not isinstance(storage, KeepsTempFiles):
        return  # S3 keeps no temporary files of ours (its unfinished uploads: the sweep above, lifecycle)
    try:
        removed = storage.remove_stale_temp(settings.temp_max_age_seconds, settings.batch_size)
    except StorageError as exc:
        report.errors += 1
        log.warning("sweep: stale temporary files not removed", extra={"error": str(exc)})
        return
    report.temp_files_removed += removed
    if removed:
        log.info("sweep: stale temporary files removed", extra={"files": removed})


def _candidates(ctx: RunContext, report: TickReport, what: str,
                query: Callable[[Session], list[uuid.UUID]]) -> list[uuid.UUID]:
    """The plates ``query`` finds (a batch, read without locks); none when the database fails."""
    try:
        with ctx.session_factory() as session:
            return query(session)
    except SQLAlchemyError as exc:
        report.errors += 1
        log.warning(f"sweep: {what} not read", extra={"error": str(exc)})
        return []


def _step(report: TickReport, plate_id: uuid.UUID, step: Callable[[], bool]) -> bool:
    try:
        return step()
    except STEP_ERRORS as exc:
        report.errors += 1
        log.warning("sweep: plate left for the next pass",
                    extra={"plate_id": str(plate_id), "error": f"{type(exc).__name__}: {exc}"})
        return False
