"""Carrying out one plate's reconcile step in a unit of work of its own, with the plate row-locked.

It composes the runs, plates and cuts services. Launcher calls that follow an outcome (deleting the
finished job, submitting the next attempt) are after-commit actions: the database always knows first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.corrections import service as corrections
from api.cuts.ingest import InvalidManifest, ingest_once, read_manifest
from api.db.base import utcnow
from api.db.unit_of_work import UnitOfWork, unit_of_work
from api.integrations.launcher import JobStatus, LauncherError
from api.plates import states
from api.plates.models import Plate, PlateState
from api.runs import repository, service, uris
from api.runs.context import RunContext
from api.runs.decide import Action, Step, after_failure, decide
from api.runs.models import Run, RunState
from api.runs.report import TickReport
from api.trackers import service as trackers
from api.webhooks import service as webhooks
from api.webhooks.models import EventType
from jobs.manifest import Manifest

log = logging.getLogger(__name__)
LOST_REASON = "lost: the job vanished without leaving a manifest"


@dataclass
class Work:
    """One plate's step in progress: its locked row, its current run and its job's status."""

    ctx: RunContext
    uow: UnitOfWork
    plate: Plate
    run: Run
    status: JobStatus | None
    report: TickReport


def handle_plate(ctx: RunContext, plate_id: uuid.UUID, statuses: dict[str, JobStatus],
                 snapshot_at: datetime, report: TickReport) -> None:
    """Lock the plate (skipped when another tick holds it or it is no longer active), decide again
    from what is now committed, and carry the step out."""
    with unit_of_work(ctx.session_factory) as uow:
        plate = repository.lock_active_plate(uow.session, plate_id)
        if plate is None:
            return
        run = repository.run_of(uow.session, plate.id, plate.attempt)
        status = statuses.get(plate.job_name) if plate.job_name else None
        view = repository.RunView.of(run) if run is not None else None
        step = decide(plate.state, view, status, snapshot_at, ctx.settings.runs.max_attempts)
        if step.action is Action.NOTHING:
            return
        if run is None:  # queued before runs were recorded: record it now (committed before a submit)
            run = service.record_attempt(uow.session, ctx.settings, plate, tries=1)
        HANDLERS[step.action](Work(ctx, uow, plate, run, status, report), step)


def _submit(work: Work, _step: Step) -> None:
    work.uow.after_commit(lambda: _submit_now(work))


def _submit_now(work: Work) -> None:
    if service.submit(work.uow.session, work.ctx.launcher, work.plate, work.run,
                      work.ctx.settings.runs.max_concurrent_jobs):
        work.report.submitted += 1
        work.report.changed += 1
    else:
        work.report.errors += 1


def _queued(work: Work, _step: Step) -> None:
    service.mark_submitted(work.run)
    if work.plate.state is PlateState.QUEUED:
        work.run.state = RunState.QUEUED
    _changed(work)


def _running(work: Work, _step: Step) -> None:
    started = (work.status.started_at if work.status else None) or utcnow()
    service.mark_submitted(work.run)
    work.run.state = RunState.RUNNING
    work.run.started_at = work.run.started_at or started
    if work.plate.state is PlateState.QUEUED:
        states.move(work.plate, PlateState.RUNNING)
        work.plate.started_at = started
        webhooks.record(work.uow.session, work.plate, EventType.PLATE_RUNNING)
    _changed(work)


def _succeed(work: Work, _step: Step) -> None:
    """Ingest the attempt's manifest (``StorageError``: nothing changes, next tick again)."""
    key = uris.manifest_key(work.plate, work.plate.attempt)
    try:
        manifest = read_manifest(work.ctx.storage, key)
    except InvalidManifest as exc:
        return _fail(work, Step(Action.FAIL, str(exc), 0))
    if manifest is None:
        reason = "the job succeeded but left no manifest"
        return _failure(work, after_failure(reason, 0, work.run.tries, work.ctx.settings.runs.max_attempts))
    _store(work, manifest, key)


def _store(work: Work, manifest: Manifest, key: str) -> None:
    plate, run, status = work.plate, work.run, work.status
    try:
        wrote = ingest_once(work.uow.session, plate, manifest, uris.attempt_prefix(plate, plate.attempt))
    except InvalidManifest as exc:  # raised before anything was written
        return _fail(work, Step(Action.FAIL, f"{key}: {exc}", 0))
    version = corrections.record_manifest(work.uow.session, plate, manifest)  # new, or one published
    if plate.state is PlateState.QUEUED:
        states.move(plate, PlateState.RUNNING)
        webhooks.record(work.uow.session, plate, EventType.PLATE_RUNNING)
    reason = (status.message if status else None) or f"split into {len(manifest.cuts)} cuts"
    states.move(plate, PlateState.SUCCEEDED, reason)
    webhooks.record(work.uow.session, plate, EventType.PLATE_SUCCEEDED)
    if manifest.split.cut_list_version is not None and version is not None:  # a publish job succeeded
        webhooks.record(work.uow.session, plate, EventType.CUTS_PUBLISHED, cut_version=version.number)
    trackers.queue_automatic(work.uow.session, plate, work.ctx.settings.trackers)  # made on their pass
    service.mark_submitted(run)
    run.started_at = run.started_at or (status.started_at if status else None) or plate.started_at
    service.end_run(run, RunState.SUCCEEDED, reason, status.exit_code if status else None)
    _changed(work)
    work.report.ingested += wrote
    _delete_job(work, run.job_name)


def _reject(work: Work, step: Step) -> None:
    states.move(work.plate, PlateState.REJECTED, step.reason)
    webhooks.record(work.uow.session, work.plate, EventType.PLATE_REJECTED, reason=step.reason)
    service.end_run(work.run, RunState.REJECTED, step.reason, step.exit_code)
    _changed(work)
    work.report.rejected += 1
    _delete_job(work, work.run.job_name)


def _failure(work: Work, step: Step) -> None:
    (_retry if step.action is Action.RETRY else _fail)(work, step)


def _retry(work: Work, step: Step) -> None:
    """End this attempt and launch the next one (its run committed before it is submitted)."""
    plate, old = work.plate, work.run
    service.end_run(old, step.run_state, step.reason, step.exit_code)
    states.move(plate, PlateState.FAILED, step.reason)
    states.move(plate, PlateState.UPLOADED)
    plate.attempt += 1
    plate.started_at = None
    work.report.changed += 1
    work.report.retried += 1
    log.info("attempt failed, retrying", extra={"plate_id": str(plate.id), "job": old.job_name,
                                                "reason": step.reason, "attempt": plate.attempt})
    service.launch(work.uow, work.ctx.launcher, work.ctx.settings, plate, tries=old.tries + 1)
    if step.run_state is not RunState.LOST:
        _delete_job(work, old.job_name)


def _fail(work: Work, step: Step) -> None:
    states.move(work.plate, PlateState.FAILED, step.reason)
    webhooks.record(work.uow.session, work.plate, EventType.PLATE_FAILED, reason=step.reason)
    service.end_run(work.run, step.run_state, step.reason, step.exit_code)
    _changed(work)
    work.report.failed += 1
    log.warning("plate failed", extra={"plate_id": str(work.plate.id), "reason": step.reason})
    if step.run_state is not RunState.LOST:
        _delete_job(work, work.run.job_name)


def _check_missing(work: Work, _step: Step) -> None:
    """The job is gone: its manifest means success; otherwise, after the grace period, it is lost."""
    key = uris.manifest_key(work.plate, work.plate.attempt)
    try:
        manifest = read_manifest(work.ctx.storage, key)
    except InvalidManifest as exc:
        return _fail(work, Step(Action.FAIL, str(exc)))
    if manifest is not None:
        return _store(work, manifest, key)
    now, run = utcnow(), work.run
    first_seen = run.missing_since is None
    run.missing_since = run.missing_since or now
    if now - run.missing_since < timedelta(seconds=work.ctx.settings.runs.lost_grace_seconds):
        return _changed(work) if first_seen else None
    work.report.lost += 1
    log.warning("job lost", extra={"plate_id": str(work.plate.id), "job": run.job_name})
    _failure(work, after_failure(LOST_REASON, None, run.tries, work.ctx.settings.runs.max_attempts,
                                 RunState.LOST))


def _changed(work: Work) -> None:
    """The step changed the plate or its run: its unit of work commits when the step ends."""
    work.report.changed += 1


def _delete_job(work: Work, job_name: str) -> None:
    """Delete the job once its outcome is committed."""
    work.uow.after_commit(lambda: _delete_job_now(work, job_name))


def _delete_job_now(work: Work, job_name: str) -> None:
    """A failure is left to the sweep of a later tick."""
    try:
        work.ctx.launcher.delete(job_name)
    except LauncherError as exc:
        log.warning("job delete failed", extra={"job": job_name, "error": str(exc)})
        return
    work.report.deleted += 1


HANDLERS: dict[Action, Callable[[Work, Step], None]] = {
    Action.SUBMIT: _submit,
    Action.QUEUED: _queued,
    Action.RUNNING: _running,
    Action.SUCCEED: _succeed,
    Action.REJECT: _reject,
    Action.RETRY: _retry,
    Action.FAIL: _fail,
    Action.CHECK_MISSING: _check_missing,
}
