"""A plate's lifecycle: create, complete or abort its upload, cancel, retry, delete.

Each flow composes the leaf services (projects, plates, uploads, runs), which never import each other,
inside the caller's unit of work: the flows change rows and register what must follow the commit
(submitting the job, stopping it, aborting a multipart upload, deleting objects); the unit of work
commits once and then carries those out. Routers call flows; nothing else does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from api.auth.principal import Principal
from api.config import Settings
from api.db.insert import insert_new
from api.db.unit_of_work import UnitOfWork
from api.errors import Conflict
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage, StorageError
from api.plates import keys, repository
from api.plates import service as plates
from api.plates.models import Plate, PlateState
from api.plates.schemas import PlateCreate, PlateOut
from api.projects.service import ProjectCache, project_ref
from api.runs import service as runs
from api.runs.models import RunState
from api.uploads import repository as uploads_repository
from api.uploads import service as uploads
from api.uploads.models import Upload
from api.uploads.schemas import CompletedPart, UploadInstructions
from api.webhooks import service as webhooks
from api.webhooks.models import EventType

log = logging.getLogger(__name__)
CANCELLED_BY_CLIENT = "cancelled by the client"


@dataclass(frozen=True)
class CreatedPlate:
    plate: PlateOut
    upload: UploadInstructions


def create_plate(uow: UnitOfWork, storage: Storage, settings: Settings, principal: Principal,
                 body: PlateCreate, projects: ProjectCache | None = None) -> CreatedPlate:
    """The plate and its upload, written with one INSERT each; how to upload it."""
    project = project_ref(uow.session, principal, body.project, projects)
    handles = project.handles(settings.editorial.head_handles, settings.editorial.tail_handles)
    plate = plates.new_plate(principal, project.id, project.name, body, settings.uploads.max_plate_size,
                             handles)
    plates.check_version_free(uow.session, plate)
    upload = uploads.start_upload(storage, settings.uploads, plate)
    try:
        insert_new(uow.session, plate, upload)  # every column has a Python-side default: nothing to read
    except IntegrityError as exc:  # the same version declared by a concurrent request
        assert plate.reel is not None and plate.version is not None
        raise plates.version_taken(plate.reel, plate.version, None) from exc
    instructions = uploads.instructions(storage, settings.uploads, plate, upload, fresh=True)
    return CreatedPlate(PlateOut.of(plate, project.name), instructions)


def list_plates(uow: UnitOfWork, principal: Principal, *, project: str | None,
                states_in: Sequence[PlateState], cursor: str | None, limit: int,
                projects: ProjectCache | None = None,
                reel: str | None = None) -> tuple[list[PlateOut], str | None]:
    project_id = project_ref(uow.session, principal, project, projects).id if project else None
    return plates.list_plates(uow.session, principal, project_id=project_id, states_in=states_in,
                              cursor=cursor, limit=limit, reel=reel)


def on_uploaded(uow: UnitOfWork, plate: Plate, launcher: Launcher | None = None,
                settings: Settings | None = None) -> None:
    """The hand-off point: ``plate`` has just become ``uploaded`` (a completed upload or a retry).
    With a launcher (and ``PLATECUT_LAUNCHER`` not ``none``) the plate is launched: ``queued``, its
    run recorded, and its job submitted once that is committed."""
    log.info("plate uploaded", extra={"plate_id": str(plate.id), "attempt": plate.attempt,
                                      "source_key": plate.source_key})
    webhooks.record(uow.session, plate, EventType.PLATE_UPLOADED)
    if launcher is not None and settings is not None and settings.launcher != "none":
        runs.launch(uow, launcher, settings, plate)


def complete_upload(uow: UnitOfWork, storage: Storage, settings: Settings, principal: Principal,
                    plate_id: uuid.UUID, parts: list[CompletedPart] | None,
                    launcher: Launcher | None = None) -> Plate:
    plate = repository.get_plate(uow.session, principal, plate_id, lock=True)
    if uploads.complete(storage, settings.uploads, plate, _upload(uow, plate), parts):
        on_uploaded(uow, plate, launcher, settings)
    return plate


def abort_upload(uow: UnitOfWork, storage: Storage, principal: Principal, plate_id: uuid.UUID) -> Plate:
    plate = repository.get_plate(uow.session, principal, plate_id, lock=True)
    uploads.abort(uow, storage, plate, _upload(uow, plate))
    return plate


def cancel(uow: UnitOfWork, storage: Storage, principal: Principal, plate_id: uuid.UUID,
           launcher: Launcher | None = None) -> Plate:
    """Cancel the plate; its current job is stopped once that is committed."""
    plate = repository.get_plate(uow.session, principal, plate_id, lock=True)
    plates.cancel(plate)
    uploads.discard(uow, storage, plate, uploads_repository.upload_of_plate(uow.session, plate.id))
    job_name = runs.end_current_run(uow.session, plate, RunState.CANCELLED, CANCELLED_BY_CLIENT)
    if launcher is not None and job_name is not None:
        uow.after_commit(lambda: runs.stop_job(launcher, job_name))
    return plate


def retry(uow: UnitOfWork, storage: Storage, principal: Principal, plate_id: uuid.UUID,
          launcher: Launcher | None = None, settings: Settings | None = None) -> Plate:
    """A failed or cancelled plate whose source is stored goes back to ``uploaded``, attempt + 1
    (and is launched again: ``queued``, a new series of automatic retries)."""
    plate = repository.get_plate(uow.session, principal, plate_id, lock=True)
    plates.prepare_retry(storage, plate)
    on_uploaded(uow, plate, launcher, settings)
    return plate


def delete(uow: UnitOfWork, storage: Storage, principal: Principal, plate_id: uuid.UUID,
           launcher: Launcher | None = None) -> None:
    """The plate and its rows; once that is committed, every object under its prefix and its last
    job. Not while a job may use them."""
    plate = repository.get_plate(uow.session, principal, plate_id, lock=True)
    plates.check_deletable(plate)
    uploads.discard(uow, storage, plate, uploads_repository.upload_of_plate(uow.session, plate.id))
    prefix, job_name = keys.prefix_of(plate), plate.job_name
    uow.session.delete(plate)
    uow.after_commit(lambda: _delete_objects(storage, prefix, plate_id))
    if launcher is not None and job_name is not None:  # a finished job its reconcile did not delete
        uow.after_commit(lambda: runs.stop_job(launcher, job_name))


def _upload(uow: UnitOfWork, plate: Plate) -> Upload:
    upload = uploads_repository.upload_of_plate(uow.session, plate.id, lock=True)
    if upload is None:  # every plate gets one when created
        raise Conflict("The plate has no upload.", code="no_upload")
    return upload


def _delete_objects(storage: Storage, prefix: str, plate_id: uuid.UUID) -> None:
    """The deleted plate's objects (its upload URLs closed first, where the storage can); a storage
    failure leaves them behind, logged with their prefix."""
    try:
        storage.close_uploads(prefix)
        removed = storage.delete_prefix(prefix)
    except StorageError as exc:
        log.warning("objects of a deleted plate left behind", extra={"plate_id": str(plate_id),
                                                                     "prefix": prefix, "error": str(exc)})
        return
    log.info("plate deleted", extra={"plate_id": str(plate_id), "objects": removed})
