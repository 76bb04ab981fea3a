"""What one reconcile tick should do with one active plate: a pure function of what the database
says (the plate's state, its current run) and what the launcher says (the job's status)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from api.integrations.launcher import JobPhase, JobStatus
from api.plates.models import PlateState
from api.runs.models import RunState
from api.runs.repository import RunView
from jobs.errors import NOT_RETRIED, REJECTING

# Kubernetes failed the Job at once on an exit code in NOT_RETRIED (the pod's code says which)
FAILED_BY_POLICY = "PodFailurePolicy"
_EXIT_CODE_IN_MESSAGE = re.compile(r"exit code (\d+)|^error (\d+):")


class Action(enum.Enum):
    NOTHING = "nothing"
    SUBMIT = "submit"  # the run is recorded but the launcher lacks its job: submit it (again)
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEED = "succeed"  # ingest the manifest
    REJECT = "reject"
    RETRY = "retry"  # a new attempt
    FAIL = "fail"
    CHECK_MISSING = "check_missing"  # the job vanished: a manifest, the grace period, or lost


@dataclass(frozen=True)
class Step:
    action: Action
    reason: str | None = None
    exit_code: int | None = None
    run_state: RunState = RunState.FAILED  # what a failed attempt's run becomes (failed or lost)


NOTHING = Step(Action.NOTHING)


def decide(plate_state: PlateState, run: RunView | None, status: JobStatus | None,
           snapshot_at: datetime, max_attempts: int) -> Step:
    """The step for a plate whose job has ``status`` in the launcher's snapshot taken at
    ``snapshot_at`` (None or MISSING: not there)."""
    found = status is not None and status.phase is not JobPhase.MISSING
    if run is None:
        return Step(Action.SUBMIT)
    if not found:
        if (run.submitted_at or run.created_at) > snapshot_at:
            return NOTHING  # recorded or submitted after the snapshot: not in it yet
        return Step(Action.SUBMIT) if run.state is RunState.SUBMIT_PENDING else Step(Action.CHECK_MISSING)
    assert status is not None
    return _found(plate_state, run, status, max_attempts)


def _found(plate_state: PlateState, run: RunView, status: JobStatus, max_attempts: int) -> Step:
    clean = run.missing_since is None and run.submitted_at is not None
    if status.phase is JobPhase.PENDING:
        settled = run.state is RunState.QUEUED or (run.state is RunState.RUNNING
                                                   and plate_state is PlateState.RUNNING)
        return NOTHING if settled and clean else Step(Action.QUEUED)
    if status.phase is JobPhase.RUNNING:
        settled = run.state is RunState.RUNNING and plate_state is PlateState.RUNNING
        return NOTHING if settled and clean else Step(Action.RUNNING)
    if status.phase is JobPhase.SUCCEEDED:
        return Step(Action.SUCCEED)
    return failed_step(status, run.tries, max_attempts)


def failed_step(status: JobStatus, tries: int, max_attempts: int) -> Step:
    """Rejected for bad input, failed for a fault of the site's set-up (neither retried);
    otherwise retried while tries remain, else failed."""
    code = exit_code_of(status)
    if code in REJECTING:
        return Step(Action.REJECT, status.message or describe(status), code, RunState.REJECTED)
    if code in NOT_RETRIED or status.reason == FAILED_BY_POLICY:
        return Step(Action.FAIL, describe(status), code)
    return after_failure(describe(status), code, tries, max_attempts)


def exit_code_of(status: JobStatus) -> int | None:
    """The job's exit code; when its pods are gone, the one named in the message of a Job failed by
    its pod failure policy (Kubernetes': "... failed with exit code 65 matching FailJob rule ...",
    or the job's own termination message: "error 65: ...")."""
    if status.exit_code is not None or status.reason != FAILED_BY_POLICY:
        return status.exit_code
    found = _EXIT_CODE_IN_MESSAGE.search(status.message or "")
    return int(found[1] or found[2]) if found else None


def after_failure(reason: str, exit_code: int | None, tries: int, max_attempts: int,
                  run_state: RunState = RunState.FAILED) -> Step:
    action = Action.RETRY if tries < max_attempts else Action.FAIL
    return Step(action, reason, exit_code, run_state)


def describe(status: JobStatus) -> str:
    """A failure in one line: the launcher's reason, the termination message, the exit code."""
    message = status.message or ""
    parts = [part for part in (status.reason, message) if part]
    if status.exit_code is not None and f"error {status.exit_code}" not in message:
        parts.append(f"exit code {status.exit_code}")
    return "; ".join(parts) or "the job failed"
