"""The plate state machine: which moves are allowed, and what each one records.

    awaiting_upload -> uploaded -> queued -> running -> succeeded | failed
    any non-terminal state -> cancelled (by the client) | rejected (the plate is unusable)
    failed | cancelled (after an upload) -> uploaded again (retry, attempt + 1)
    succeeded | failed -> uploaded again (re-run: publish a cut version, or detect again; attempt + 1)
"""

from __future__ import annotations

from api.db.base import utcnow
from api.errors import Conflict
from api.plates.models import TERMINAL_STATES, Plate, PlateState

S = PlateState
ALLOWED: dict[PlateState, frozenset[PlateState]] = {
    S.AWAITING_UPLOAD: frozenset({S.UPLOADED, S.CANCELLED, S.REJECTED}),
    S.UPLOADED: frozenset({S.QUEUED, S.CANCELLED, S.REJECTED, S.FAILED}),
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED, S.REJECTED, S.FAILED}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.FAILED, S.REJECTED, S.CANCELLED}),
    S.SUCCEEDED: frozenset({S.UPLOADED}),
    S.FAILED: frozenset({S.UPLOADED}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset({S.UPLOADED}),
}
ACTIVE_STATES = frozenset({S.QUEUED, S.RUNNING})
RETRYABLE = frozenset({S.FAILED, S.CANCELLED})  # a job may be using the plate's objects
RERUNNABLE = frozenset({S.SUCCEEDED, S.FAILED})  # publish a cut version, or detect again


def can_move(plate: Plate, target: PlateState) -> bool:
    return target in ALLOWED[plate.state]


def move(plate: Plate, target: PlateState, reason: str | None = None) -> None:
    """Move ``plate`` to ``target`` (409 ``invalid_state`` when not allowed); terminal states
    record ``reason`` and when they were reached."""
    if not can_move(plate, target):
        raise Conflict(f"A plate in state {plate.state.value!r} cannot become {target.value!r}.",
                       code="invalid_state", extra={"state": plate.state.value})
    now = utcnow()
    plate.state = target
    plate.updated_at = now
    if target in TERMINAL_STATES:
        plate.state_reason = reason or target.value
        plate.finished_at = now
    else:
        plate.state_reason = None
        plate.finished_at = None
    if target is S.RUNNING:
        plate.started_at = now
