"""/api/v1/reels: a project's reels, and a reel's versions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.dependencies import ProjectCacheDep, StorageDep
from api.projects.service import project_ref
from api.reels import service
from api.reels.report import ChangeReport, as_csv
from api.reels.schemas import ReelList, ReelVersions
from api.urls import API_V1
from api.validation import SLUG_PATTERN, Slug

router = APIRouter(prefix=API_V1 + "/reels", tags=["reels"])
changes_router = APIRouter(prefix=API_V1 + "/plates/{plate_id}", tags=["reels"])
Against = Annotated[uuid.UUID | None, Query(description="The plate to compare with (default: the previous "
                                                        "version of the same reel)")]
ReelName = Annotated[str, Path(pattern=SLUG_PATTERN, description="The reel, e.g. ep101_r2")]


@router.get("", response_model=ReelList)
def list_reels(session: DbSession, principal: CurrentPrincipal, projects: ProjectCacheDep,
               project: Annotated[Slug | None, Query(description="Only this project's reels")] = None,
               ) -> ReelList:
    """Reels of the projects the token may see: how many versions each has, and the newest."""
    project_id = project_ref(session, principal, project, projects).id if project else None
    return ReelList(items=service.list_reels(session, principal, project_id))


@router.get("/{reel}/versions", response_model=ReelVersions)
def reel_versions(reel: ReelName, session: DbSession, principal: CurrentPrincipal, projects: ProjectCacheDep,
                  project: Annotated[Slug, Query(description="The reel's project")]) -> ReelVersions:
    """A reel's versions, newest first, with each plate's state and cut count."""
    ref = project_ref(session, principal, project, projects)
    return service.reel_versions(session, principal, ref.id, ref.name, reel)


@changes_router.get("/changes", response_model=ChangeReport)
def cut_changes(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
                against: Against = None) -> ChangeReport:
    """Every shot of this version and the one compared with: new, omitted, reinstated, cut change
    (head/tail deltas in frames), rescan, unchanged, repeated, and whether it moved."""
    return service.cut_changes(session, principal, plate_id, against)


@changes_router.get("/changes.png", response_class=Response,
                    responses={200: {"content": {"image/png": {}}, "description": "The changed shots"}})
def cut_changes_picture(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
                        storage: StorageDep, against: Against = None) -> Response:
    """The changed shots as a picture: old and new thumbnails side by side, what changed under them."""
    return Response(service.changes_picture(session, storage, principal, plate_id, against),
                    media_type="image/png")


@changes_router.get("/changes.csv", response_class=Response,
                    responses={200: {"content": {"text/csv": {}}, "description": "The report as CSV"}})
def cut_changes_csv(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
                    against: Against = None) -> Response:
    report = service.cut_changes(session, principal, plate_id, against)
    name = f"changes_{report.reel or plate_id}_v{report.version or 0}.csv"
    return Response(as_csv(report), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
