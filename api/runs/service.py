"""Runs: launching a plate's attempt, submitting it, ending it, and what the routes show of it.

A launch records everything (plate ``queued``, the run with its job name and output URI) and asks
the launcher only after the unit of work has COMMITTED that: if the process dies in between, the
reconcile submits the same job name again and the launcher adopts a job already there. A failed
submit leaves the run ``submit_pending``, which the reconcile retries. Nothing here commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.config import Settings
from api.db.base import utcnow
from api.db.unit_of_work import UnitOfWork
from api.errors import Conflict, ServiceUnavailable
from api.integrations.launcher import JobRequest, Launcher, LauncherError
from api.observability.logging import log_failure
from api.plates import states
from api.plates.models import Plate, PlateState
from api.plates.repository import get_plate
from api.runs import repository, uris
from api.runs.models import ACTIVE_RUN_STATES, Run, RunState
from api.runs.names import job_name_for

log = logging.getLogger(__name__)


def launch(uow: UnitOfWork, launcher: Launcher, settings: Settings, plate: Plate, *, tries: int = 1) -> Run:
    """``plate`` (just ``uploaded``, in the unit of work) becomes ``queued`` with a new run, which is
    submitted once committed. ``tries``: the run's place in a series of automatic retries."""
    states.move(plate, PlateState.QUEUED)
    run = record_attempt(uow.session, settings, plate, tries)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # SQLite, which has no row locks: a concurrent launch won
        raise Conflict("The plate was launched by a concurrent request.", code="concurrent_launch") from exc
    limit = settings.runs.max_concurrent_jobs
    uow.after_commit(lambda: submit(uow.session, launcher, plate, run, limit))
    return run


def record_attempt(session: Session, settings: Settings, plate: Plate, tries: int) -> Run:
    """The run of the plate's current attempt, added to the session (``submit_pending``)."""
    job_name = job_name_for(str(plate.id), plate.attempt)
    plate.job_name = job_name
    run = Run(plate_id=plate.id, attempt=plate.attempt, tries=tries, job_name=job_name,
              state=RunState.SUBMIT_PENDING, source_uri=uris.source_uri(settings, plate),
              output_uri=uris.output_uri(settings, plate, plate.attempt),
              cut_list_uri=uris.cut_list_uri(settings, plate), created_at=utcnow())
    session.add(run)
    return run


def job_request(plate: Plate, run: Run) -> JobRequest:
    return JobRequest(plate_id=str(plate.id), attempt=run.attempt, job_name=run.job_name,
                      site=plate.site.name, project=plate.project.name, plate_name=plate.name,
                      source_uri=run.source_uri, output_uri=run.output_uri, size_bytes=plate.size_bytes,
                      sha256=plate.sha256, plate_kind=plate.kind.value, head_handles=plate.head_handles,
                      tail_handles=plate.tail_handles, cut_list_uri=run.cut_list_uri,
                      extra_args=() if run.cut_list_uri else tuple(plate.detector_args or ()))


def submit(session: Session, launcher: Launcher, plate: Plate, run: Run, limit: int = 0) -> bool:
    """Hand the committed run to the launcher and record its answer (for the unit of work to commit).

    False when the run is no longer ``submit_pending`` (cancelled, or submitted by another, since it
    was committed), ``limit`` jobs are already out, or the launcher failed (then the run stays
    ``submit_pending`` with the reason, and the reconcile submits it on a later tick). The answer is
    recorded only if the run is still pending: a run cancelled while its job was being created has
    that job stopped at once."""
    session.refresh(run)  # what is committed now, not what this session read before its commit
    if run.state is not RunState.SUBMIT_PENDING:
        return False
    if limit and repository.submitted_active_runs(session) >= limit:
        repository.update_pending_run(session, run, reason=f"waiting: {limit} jobs already running "
                                                           "(PLATECUT_MAX_CONCURRENT_JOBS)")
        return False
    try:
        launcher.submit(job_request(plate, run))
    except LauncherError as exc:
        repository.update_pending_run(session, run, reason=f"submit failed: {exc}")
        log.warning("job submit failed", extra={"plate_id": str(plate.id), "job": run.job_name,
                                                "error": str(exc)})
        return False
    if not repository.update_pending_run(session, run, state=RunState.QUEUED, reason=None,
                                         submitted_at=utcnow(), missing_since=None):
        log.info("run ended while its job was created: job stopped", extra={"job": run.job_name})
        stop_job(launcher, run.job_name)
        return False
    log.info("job submitted", extra={"plate_id": str(plate.id), "job": run.job_name,
                                     "attempt": run.attempt})
    return True


def mark_submitted(run: Run) -> None:
    """The launcher has the job (its status was seen): the run leaves ``submit_pending``."""
    run.submitted_at = run.submitted_at or utcnow()
    run.missing_since = None
    if run.state is RunState.SUBMIT_PENDING:
        run.state = RunState.QUEUED
        run.reason = None


def end_run(run: Run, state: RunState, reason: str | None = None, exit_code: int | None = None) -> None:
    run.state = state
    run.reason = reason
    run.exit_code = exit_code
    run.finished_at = utcnow()


def end_current_run(session: Session, plate: Plate, state: RunState, reason: str) -> str | None:
    """End the plate's current run when it is still active; its job name (to stop), else None."""
    run = repository.run_of(session, plate.id, plate.attempt)
    if run is None or run.state not in ACTIVE_RUN_STATES:
        return None
    end_run(run, state, reason)
    return run.job_name


def stop_job(launcher: Launcher, job_name: str) -> bool:
    """Cancel a job (after the commit); a launcher failure is logged: the reconcile's sweep of jobs
    without an active run cancels it later."""
    try:
        launcher.cancel(job_name)
    except LauncherError as exc:
        log.warning("job cancel failed", extra={"job": job_name, "error": str(exc)})
        return False
    return True


def list_runs(session: Session, principal: Principal, plate_id: uuid.UUID) -> Sequence[Run]:
    plate = get_plate(session, principal, plate_id)
    return repository.runs_of_plate(session, plate.id)


def job_logs(session: Session, launcher: Launcher, principal: Principal, plate_id: uuid.UUID,
             tail_lines: int) -> tuple[Plate, str]:
    """The last lines of the current job's log ("" without a job, or once it was deleted)."""
    plate = get_plate(session, principal, plate_id)
    if plate.job_name is None:
        return plate, ""
    try:
        return plate, launcher.logs(plate.job_name, tail_lines)
    except LauncherError as exc:  # its text goes to the log, not to the client
        log_failure(log, "job logs failed", exc, job=plate.job_name)
        raise ServiceUnavailable("The job launcher cannot be reached; try again later.",
                                 code="launcher_unavailable") from exc
