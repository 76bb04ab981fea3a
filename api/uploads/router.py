"""/api/v1/plates/{id}/upload: resume, complete and abort a plate's upload."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession, Uow
from api.dependencies import LauncherDep, SettingsDep, StorageDep
from api.errors import Conflict
from api.integrations.storage import MAX_PARTS
from api.plates import flows
from api.plates.repository import get_plate
from api.plates.schemas import PlateOut
from api.uploads import layout, service
from api.uploads.repository import upload_of_plate
from api.uploads.schemas import CompleteUpload, UploadInstructions
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/plates/{plate_id}/upload", tags=["uploads"])


@router.get("", response_model=UploadInstructions)
def get_upload(plate_id: uuid.UUID, session: DbSession, storage: StorageDep, settings: SettingsDep,
               principal: CurrentPrincipal,
               from_part: Annotated[int, Query(ge=1, le=MAX_PARTS, description="First part to list")] = 1,
               limit: Annotated[int, Query(ge=1, le=layout.MAX_PAGE)] = layout.DEFAULT_PAGE,
               ) -> UploadInstructions:
    """Resume: the parts already stored, and fresh URLs for the missing ones (or the single PUT)."""
    plate = get_plate(session, principal, plate_id)
    upload = upload_of_plate(session, plate.id)
    if upload is None:
        raise Conflict("The plate has no upload.", code="no_upload")
    return service.instructions(storage, settings.uploads, plate, upload, from_part=from_part, limit=limit)


@router.post("/complete", response_model=PlateOut)
def complete_upload(plate_id: uuid.UUID, uow: Uow, storage: StorageDep, settings: SettingsDep,
                    launcher: LauncherDep, principal: CurrentPrincipal,
                    body: Annotated[CompleteUpload | None, Body()] = None) -> PlateOut:
    """Check the stored object (size, SHA-256 when feasible), mark the plate ``uploaded`` and
    launch its split (``queued``).

    Completing a completed upload answers the plate again (idempotent)."""
    parts = body.parts if body is not None else None
    return PlateOut.of(flows.complete_upload(uow, storage, settings, principal, plate_id, parts, launcher))


@router.post("/abort", response_model=PlateOut)
def abort_upload(plate_id: uuid.UUID, uow: Uow, storage: StorageDep,
                 principal: CurrentPrincipal) -> PlateOut:
    """Abandon a pending upload: its parts are dropped and the plate is cancelled."""
    return PlateOut.of(flows.abort_upload(uow, storage, principal, plate_id))
