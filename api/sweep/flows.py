"""The sweep's step on one plate, in a unit of work of its own with the plate row-locked and checked
again: a plate whose upload expired is cancelled, an abandoned plate's objects are deleted.

It composes the plates and uploads rules; the storage is touched only after the commit (aborting the
multipart upload, deleting the objects), so the database always knows first.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from api.db.base import utcnow
from api.db.unit_of_work import unit_of_work
from api.integrations.storage import StorageError
from api.plates import keys, states
from api.plates.models import Plate, PlateState
from api.runs.context import RunContext
from api.runs.report import TickReport
from api.sweep import repository
from api.sweep.repository import ABANDONED_STATES
from api.uploads import repository as uploads_repository
from api.uploads import service as uploads
from api.uploads.models import UploadState

log = logging.getLogger(__name__)
EXPIRED_REASON = "upload expired"


def expire_upload(ctx: RunContext, plate_id: uuid.UUID, now: datetime) -> bool:
    """Cancel a plate whose upload expired, and abort the upload (its multipart upload in storage
    once that is committed). False when the plate no longer qualifies or is held elsewhere."""
    with unit_of_work(ctx.session_factory) as uow:
        plate = repository.lock_plate(uow.session, plate_id, {PlateState.AWAITING_UPLOAD})
        if plate is None:
            return False
        upload = uploads_repository.upload_of_plate(uow.session, plate.id, lock=True)
        if upload is None or upload.state is not UploadState.PENDING or upload.expires_at > now:
            return False
        states.move(plate, PlateState.CANCELLED, EXPIRED_REASON)
        uploads.discard(uow, ctx.storage, plate, upload)
        log.info("upload expired: plate cancelled", extra={"plate_id": str(plate.id),
                                                           "expired_at": upload.expires_at.isoformat()})
        return True


def purge_plate(ctx: RunContext, plate_id: uuid.UUID, ended_before: datetime, report: TickReport) -> bool:
    """Mark an abandoned plate purged and, once that is committed, delete every object under its prefix
    (its source, every attempt's outputs; counted in ``report`` when done). The row stays; a purged
    plate is never retried. False when the plate no longer qualifies or is held elsewhere."""
    with unit_of_work(ctx.session_factory) as uow:
        plate = repository.lock_plate(uow.session, plate_id, ABANDONED_STATES)
        if plate is None or plate.purged_at is not None or not _ended_before(plate, ended_before):
            return False
        plate.purged_at = utcnow()
        uploads.discard(uow, ctx.storage, plate, uploads_repository.upload_of_plate(uow.session, plate.id))
        prefix = keys.prefix_of(plate)
        uow.after_commit(lambda: _delete_objects(ctx, plate, prefix, report))
        return True


def _ended_before(plate: Plate, moment: datetime) -> bool:
    return plate.finished_at is not None and plate.finished_at <= moment


def _delete_objects(ctx: RunContext, plate: Plate, prefix: str, report: TickReport) -> None:
    """After the commit. A storage failure unmarks the plate (committed after this action), so a later
    pass deletes what is left."""
    try:
        removed = ctx.storage.delete_prefix(prefix)
    except StorageError as exc:
        plate.purged_at = None
        report.errors += 1
        log.warning("abandoned plate's objects not deleted, left for the next sweep",
                    extra={"plate_id": str(plate.id), "prefix": prefix, "error": str(exc)})
        return
    report.plates_purged += 1
    report.objects_purged += removed
    log.info("abandoned plate purged", extra={"plate_id": str(plate.id), "prefix": prefix, "objects": removed,
                                               "state": plate.state.value})
