"""/api/v1/plates: create, read, list, cancel, retry and delete plates."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession, Uow
from api.dependencies import LauncherDep, ProjectCacheDep, SettingsDep, StorageDep
from api.plates import flows
from api.plates.models import PlateState
from api.plates.repository import get_plate as get_visible_plate
from api.plates.schemas import PlateCreate, PlateCreated, PlateOut, PlatePage
from api.urls import API_V1
from api.validation import Slug

router = APIRouter(prefix=API_V1 + "/plates", tags=["plates"])
MAX_LIMIT = 200


@router.post("", response_model=PlateCreated, status_code=status.HTTP_201_CREATED)
def create_plate(body: PlateCreate, uow: Uow, storage: StorageDep, settings: SettingsDep,
                 principal: CurrentPrincipal, projects: ProjectCacheDep) -> PlateCreated:
    """Declare a plate; the answer says how to upload it (one PUT, or parts)."""
    created = flows.create_plate(uow, storage, settings, principal, body, projects)
    return PlateCreated(plate=created.plate, upload=created.upload)


@router.get("", response_model=PlatePage)
def list_plates(uow: Uow, principal: CurrentPrincipal, projects: ProjectCacheDep,
                project: Annotated[Slug | None, Query(description="Only this project's plates")] = None,
                state: Annotated[list[PlateState] | None, Query(description="Only these states")] = None,
                cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of a "
                                                    "previous page")] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50) -> PlatePage:
    """Plates, newest first, a page at a time."""
    plates, next_cursor = flows.list_plates(uow, principal, project=project, states_in=state or [],
                                              cursor=cursor, limit=limit, projects=projects)
    return PlatePage(items=plates, next_cursor=next_cursor)


@router.get("/{plate_id}", response_model=PlateOut)
def get_plate(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> PlateOut:
    return PlateOut.of(get_visible_plate(session, principal, plate_id))


@router.post("/{plate_id}/cancel", response_model=PlateOut)
def cancel_plate(plate_id: uuid.UUID, uow: Uow, storage: StorageDep, launcher: LauncherDep,
                 principal: CurrentPrincipal) -> PlateOut:
    """Cancel a plate not yet finished (409 ``invalid_state`` otherwise); its job is stopped."""
    return PlateOut.of(flows.cancel(uow, storage, principal, plate_id, launcher))


@router.post("/{plate_id}/retry", response_model=PlateOut)
def retry_plate(plate_id: uuid.UUID, uow: Uow, storage: StorageDep, settings: SettingsDep,
                launcher: LauncherDep, principal: CurrentPrincipal) -> PlateOut:
    """Launch a failed or cancelled (uploaded) plate again, attempt + 1."""
    return PlateOut.of(flows.retry(uow, storage, principal, plate_id, launcher, settings))


@router.delete("/{plate_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_plate(plate_id: uuid.UUID, uow: Uow, storage: StorageDep, launcher: LauncherDep,
                 principal: CurrentPrincipal) -> Response:
    """Delete the plate, its cuts and every stored object of it (not while queued or running)."""
    flows.delete(uow, storage, principal, plate_id, launcher)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
