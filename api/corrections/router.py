"""/api/v1/plates/{id}/cut-versions: a plate's cut versions, corrections, publishing, re-detection."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from api.auth.dependencies import CurrentPrincipal
from api.corrections import flows, service
from api.corrections.models import CutVersion
from api.corrections.schemas import (
    CorrectionIn,
    CutVersionList,
    CutVersionOut,
    CutVersionSummary,
    RedetectIn,
    SuspiciousOut,
    VersionCutOut,
    to_edit,
)
from api.corrections.state import state_of
from api.db.unit_of_work import DbSession, Uow
from api.dependencies import LauncherDep, SettingsDep, StorageDep
from api.plates.models import Plate
from api.plates.schemas import PlateOut
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/plates/{plate_id}", tags=["corrections"])
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]


def version_out(plate: Plate, version: CutVersion) -> CutVersionOut:
    state = state_of(version)
    summary = CutVersionSummary.of(version, plate.published_cut_version, plate.publishing_cut_version)
    items = [VersionCutOut(order=i + 1, first_frame=cut.first_frame, last_frame=state.last_frame(i),
                           name=cut.name, detected_by=cut.detected_by) for i, cut in enumerate(state.cuts)]
    suspicious = [SuspiciousOut(frame=int(s["frame"]), reason=str(s["reason"]),
                                dismissed=int(s["frame"]) in state.dismissed) for s in version.suspicious]
    return CutVersionOut(**summary.model_dump(), frame_count=version.frame_count, items=items,
                         suspicious=suspicious)


@router.get("/cut-versions", response_model=CutVersionList)
def list_versions(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> CutVersionList:
    """The plate's cut versions, newest first: who saved each, when, and what it changed."""
    plate, found = service.versions(session, principal, plate_id)
    published, publishing = plate.published_cut_version, plate.publishing_cut_version
    return CutVersionList(latest=found[0].number if found else None, published=published,
                          publishing=publishing,
                          items=[CutVersionSummary.of(v, published, publishing) for v in found])


@router.get("/cut-versions/{number}", response_model=CutVersionOut)
def get_version(plate_id: uuid.UUID, number: Number, session: DbSession,
                principal: CurrentPrincipal) -> CutVersionOut:
    """One cut version's cuts (0-based plate frames) and suspicious frames."""
    return version_out(*service.version(session, principal, plate_id, number))


@router.post("/cut-versions", response_model=CutVersionOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "`stale_version`: the base is not the latest version"},
                        422: {"description": "An edit that cannot apply (e.g. `split_at_boundary`, "
                                             "`merge_first_cut`, `empty_name`, `duplicate_name`)"}})
def correct(plate_id: uuid.UUID, body: CorrectionIn, uow: Uow, principal: CurrentPrincipal) -> CutVersionOut:
    """Save corrections as a new cut version (all edits apply, or none)."""
    return version_out(*service.correct(uow.session, principal, plate_id, body.base_version,
                                        [to_edit(edit) for edit in body.edits]))


@router.post("/cut-versions/{number}/publish", response_model=PlateOut,
             status_code=status.HTTP_202_ACCEPTED)
def publish(plate_id: uuid.UUID, number: Number, uow: Uow, storage: StorageDep, launcher: LauncherDep,
            settings: SettingsDep, principal: CurrentPrincipal) -> PlateOut:
    """A job writes the version's cut media, thumbnails, EDL, OTIO, CSV, contact sheet and manifest
    (no detection); the cut routes serve them once the plate has succeeded again."""
    plate, _ = flows.publish(uow, storage, launcher, settings, principal, plate_id, number)
    return PlateOut.of(plate)


@router.post("/redetect", response_model=PlateOut, status_code=status.HTTP_202_ACCEPTED)
def redetect(plate_id: uuid.UUID, body: RedetectIn, uow: Uow, storage: StorageDep, launcher: LauncherDep,
             settings: SettingsDep, principal: CurrentPrincipal) -> PlateOut:
    """Detect the plate's cuts again with other settings, without uploading it again."""
    return PlateOut.of(flows.redetect(uow, storage, launcher, settings, principal, plate_id, body))
