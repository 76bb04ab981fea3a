"""Plates: create (with their upload), read, list, cancel, retry, delete; the upload hand-off."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.config import Settings
from api.db.insert import insert_new
from api.errors import Conflict, NotFound, Unprocessable
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage
from api.plates import repository, states
from api.plates.models import Plate, PlateState
from api.plates.pagination import Cursor
from api.plates.schemas import PlateCreate, PlateOut
from api.projects.service import ProjectCache, ProjectRef, project_ref
from api.runs import service as runs
from api.runs.models import RunState
from api.uploads import keys
from api.uploads import repository as uploads_repository
from api.uploads import service as uploads
from api.uploads.models import Upload
from api.uploads.schemas import CompletedPart

log = logging.getLogger(__name__)


def on_uploaded(session: Session, plate: Plate, launcher: Launcher | None = None,
                settings: Settings | None = None) -> None:
    """The hand-off point: ``plate`` has just become ``uploaded`` (a completed upload or a
    retry), in the caller's transaction. With a launcher (and ``PLATECUT_LAUNCHER`` not ``none``)
    the plate is launched: ``queued``, its run recorded and committed, then its job submitted."""
    log.info("plate uploaded", extra={"plate_id": str(plate.id), "attempt": plate.attempt,
                                      "source_key": plate.source_key})
    if launcher is not None and settings is not None and settings.launcher != "none":
        runs.launch(session, launcher, settings, plate)


def get_plate(session: Session, principal: Principal, plate_id: uuid.UUID, lock: bool = False) -> Plate:
    """The plate, or 404 alike whether it does not exist or belongs to someone else."""
    plate = repository.get_visible(session, principal, plate_id, lock=lock)
    if plate is None:
        raise NotFound(f"No plate {plate_id}.", code="plate_not_found")
    return plate


def create_plate(session: Session, storage: Storage, settings: Settings, principal: Principal,
                 body: PlateCreate, projects: ProjectCache | None = None) -> tuple[Plate, Upload, ProjectRef]:
    """The plate and its upload, written with one INSERT each and one commit."""
    if body.size > settings.max_plate_size:
        raise Unprocessable(f"Plates are at most {settings.max_plate_size} bytes.", code="size_too_large",
                            extra={"max_size": settings.max_plate_size})
    project = project_ref(session, principal, body.project, projects)
    plate_id = uuid.uuid4()
    prefix = keys.plate_prefix(principal.site_name, project.name, str(plate_id))
    plate = Plate(id=plate_id, site_id=principal.site_id, project_id=project.id, name=body.name,
                  size_bytes=body.size, sha256=body.sha256, source_key=keys.source_key(prefix, body.name),
                  output_prefix=keys.output_prefix(prefix), state=PlateState.AWAITING_UPLOAD)
    upload = uploads.start_upload(storage, settings, plate)
    insert_new(session, plate, upload)  # every column has a Python-side default: nothing to read back
    session.commit()
    return plate, upload, project


def list_plates(session: Session, principal: Principal, *, project: str | None,
                states_in: Sequence[PlateState], cursor: str | None, limit: int,
                projects: ProjectCache | None = None) -> tuple[list[PlateOut], str | None]:
    project_id = project_ref(session, principal, project, projects).id if project else None
    after = Cursor.decode(cursor) if cursor else None
    rows = repository.page(session, principal, project_id=project_id, states=states_in, after=after,
                           limit=limit + 1)
    items = [PlateOut.model_validate(row) for row in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    return items, Cursor(items[-1].created_at, items[-1].id).encode()


def complete_upload(session: Session, storage: Storage, settings: Settings, principal: Principal,
                    plate_id: uuid.UUID, parts: list[CompletedPart] | None,
                    launcher: Launcher | None = None) -> Plate:
    plate = get_plate(session, principal, plate_id, lock=True)
    upload = _upload(session, plate)
    if uploads.complete(storage, settings, plate, upload, parts):
        on_uploaded(session, plate, launcher, settings)
        session.commit()
    return plate


def abort_upload(session: Session, storage: Storage, principal: Principal, plate_id: uuid.UUID) -> Plate:
    plate = get_plate(session, principal, plate_id, lock=True)
    uploads.abort(storage, plate, _upload(session, plate))
    session.commit()
    return plate


def cancel(session: Session, storage: Storage, principal: Principal, plate_id: uuid.UUID,
           launcher: Launcher | None = None) -> Plate:
    """Cancel the plate; its current job is stopped once that is committed."""
    plate = get_plate(session, principal, plate_id, lock=True)
    states.move(plate, PlateState.CANCELLED, "cancelled by the client")
    uploads.discard(storage, plate, uploads_repository.upload_of_plate(session, plate.id))
    job_name = runs.end_current_run(session, plate, RunState.CANCELLED, "cancelled by the client")
    session.commit()
    if launcher is not None and job_name is not None:
        runs.stop_job(launcher, job_name)
    return plate


def retry(session: Session, storage: Storage, principal: Principal, plate_id: uuid.UUID,
          launcher: Launcher | None = None, settings: Settings | None = None) -> Plate:
    """A failed or cancelled plate whose source is stored goes back to ``uploaded``, attempt + 1
    (and is launched again: ``queued``, a new series of automatic retries)."""
    plate = get_plate(session, principal, plate_id, lock=True)
    if plate.state not in states.RETRYABLE:
        raise Conflict(f"Only failed or cancelled plates are retried, not {plate.state.value}.",
                       code="invalid_state", extra={"state": plate.state.value})
    if plate.uploaded_at is None:
        raise Conflict("The plate was never uploaded.", code="not_uploaded")
    states.move(plate, PlateState.UPLOADED)
    if storage.head(plate.source_key) is None:
        raise Conflict("The plate's source is no longer stored.", code="source_missing")
    plate.attempt += 1
    plate.started_at = None
    plate.job_name = None
    on_uploaded(session, plate, launcher, settings)
    session.commit()
    return plate


def delete(session: Session, storage: Storage, principal: Principal, plate_id: uuid.UUID,
           launcher: Launcher | None = None) -> None:
    """The plate, its rows, its last job and every object under its prefix; not while a job may
    use them."""
    plate = get_plate(session, principal, plate_id, lock=True)
    if plate.state in states.ACTIVE_STATES:
        raise Conflict(f"The plate is {plate.state.value}: cancel it first.", code="plate_active",
                       extra={"state": plate.state.value})
    uploads.discard(storage, plate, uploads_repository.upload_of_plate(session, plate.id))
    removed = storage.delete_prefix(keys.prefix_of(plate))
    job_name = plate.job_name
    session.delete(plate)
    session.commit()
    if launcher is not None and job_name is not None:  # a finished job its reconcile did not delete
        runs.stop_job(launcher, job_name)
    log.info("plate deleted", extra={"plate_id": str(plate_id), "objects": removed})


def _upload(session: Session, plate: Plate) -> Upload:
    upload = uploads_repository.upload_of_plate(session, plate.id, lock=True)
    if upload is None:  # every plate gets one when created
        raise Conflict("The plate has no upload.", code="no_upload")
    return upload
