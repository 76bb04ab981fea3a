"""Plates: a new plate's row, listing, and the checks and state changes of retry and delete.

A leaf service: it imports no other domain's service (``api.plates.flows`` composes them) and never
commits (the unit of work does).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.errors import Conflict, Unprocessable
from api.integrations.storage import Storage
from api.plates import keys, repository, states
from api.plates.models import Plate, PlateState, ReelFrom
from api.plates.pagination import Cursor
from api.plates.reel_names import reel_and_version
from api.plates.schemas import PlateCreate, PlateOut


def new_plate(principal: Principal, project_id: uuid.UUID, project_name: str, body: PlateCreate,
              max_size: int, handles: tuple[int, int]) -> Plate:
    """The row of a plate declared by ``body`` (not yet in any session), ``awaiting_upload``;
    ``handles``: the head and tail handles it gets unless ``body`` gives its own."""
    if body.size > max_size:
        raise Unprocessable(f"Plates are at most {max_size} bytes.", code="size_too_large",
                            extra={"max_size": max_size})
    plate_id = uuid.uuid4()
    prefix = keys.plate_prefix(principal.site_name, project_name, str(plate_id))
    plate = Plate(id=plate_id, site_id=principal.site_id, project_id=project_id, name=body.name,
                  size_bytes=body.size, sha256=body.sha256, source_key=keys.source_key(prefix, body.name),
                  output_prefix=keys.output_prefix(prefix), state=PlateState.AWAITING_UPLOAD, kind=body.kind,
                  head_handles=handles[0] if body.head_handles is None else body.head_handles,
                  tail_handles=handles[1] if body.tail_handles is None else body.tail_handles)
    _place_in_reel(plate, body)
    return plate


def _place_in_reel(plate: Plate, body: PlateCreate) -> None:
    """The reel and version declared, else read from the name, else none (the plate stands alone)."""
    if body.reel is not None and body.version is not None:
        plate.reel, plate.version, plate.reel_from = body.reel, body.version, ReelFrom.DECLARED
    elif (found := reel_and_version(body.name)) is not None:
        (plate.reel, plate.version), plate.reel_from = found, ReelFrom.NAME


def check_version_free(session: Session, plate: Plate) -> None:
    """409 ``version_exists`` when another plate of the project is this version of this reel."""
    if plate.reel is None or plate.version is None:
        return
    other = repository.version_of_reel(session, plate.project_id, plate.reel, plate.version)
    if other is not None:
        raise version_taken(plate.reel, plate.version, other)


def version_taken(reel: str, version: int, other: uuid.UUID | None) -> Conflict:
    return Conflict(f"Reel {reel!r} already has a version {version}: plate {other}.",
                    code="version_exists", extra={"reel": reel, "version": version,
                                                  "plate_id": str(other) if other else None})


def list_plates(session: Session, principal: Principal, *, project_id: uuid.UUID | None,
                states_in: Sequence[PlateState], cursor: str | None,
                limit: int, reel: str | None = None) -> tuple[list[PlateOut], str | None]:
    """A page of plates, newest first, and the cursor of the next page (None: the last page)."""
    after = Cursor.decode(cursor) if cursor else None
    rows = repository.page(session, principal, project_id=project_id, states=states_in, after=after,
                           limit=limit + 1, reel=reel)
    items = [PlateOut.model_validate(row) for row in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    return items, Cursor(items[-1].created_at, items[-1].id).encode()


def cancel(plate: Plate) -> None:
    states.move(plate, PlateState.CANCELLED, "cancelled by the client")


def prepare_retry(storage: Storage, plate: Plate) -> None:
    """A failed or cancelled plate whose source is stored goes back to ``uploaded``, attempt + 1."""
    if plate.state not in states.RETRYABLE:
        raise Conflict(f"Only failed or cancelled plates are retried, not {plate.state.value}.",
                       code="invalid_state", extra={"state": plate.state.value})
    _next_attempt(storage, plate)


def prepare_rerun(storage: Storage, plate: Plate) -> None:
    """A succeeded or failed plate whose source is stored goes back to ``uploaded``, attempt + 1, to
    publish a cut version or to be detected again."""
    if plate.state not in states.RERUNNABLE:
        raise Conflict(f"The plate is {plate.state.value}: wait for its job to end.",
                       code="invalid_state", extra={"state": plate.state.value})
    _next_attempt(storage, plate)


def _next_attempt(storage: Storage, plate: Plate) -> None:
    if plate.uploaded_at is None:
        raise Conflict("The plate was never uploaded.", code="not_uploaded")
    states.move(plate, PlateState.UPLOADED)
    if plate.purged_at is not None or storage.head(plate.source_key) is None:  # purged: being deleted
        raise Conflict("The plate's source is no longer stored.", code="source_missing")
    plate.attempt += 1
    plate.started_at = None
    plate.job_name = None


def check_deletable(plate: Plate) -> None:
    """Not while a job may use the plate's objects (409 ``plate_active``)."""
    if plate.state in states.ACTIVE_STATES:
        raise Conflict(f"The plate is {plate.state.value}: cancel it first.", code="plate_active",
                       extra={"state": plate.state.value})
