"""/api/v1/projects: the projects of the caller's site (those its token may see)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.dependencies import ProjectCacheDep
from api.projects import service
from api.projects.schemas import ProjectCreate, ProjectList, ProjectOut, ProjectUpdate
from api.urls import API_V1
from api.validation import SLUG_PATTERN

router = APIRouter(prefix=API_V1 + "/projects", tags=["projects"])


@router.get("", response_model=ProjectList)
def list_projects(session: DbSession, principal: CurrentPrincipal) -> ProjectList:
    """Projects of the site the token may see, by name."""
    projects = service.visible_projects(session, principal)
    return ProjectList(items=[ProjectOut.model_validate(p) for p in projects])


@router.post("", response_model=ProjectOut, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectCreate, session: DbSession, principal: CurrentPrincipal) -> ProjectOut:
    """Create a project (site-wide admin tokens only)."""
    project = service.create_project(session, principal, body.name, (body.head_handles, body.tail_handles))
    return ProjectOut.model_validate(project)


@router.patch("/{name}", response_model=ProjectOut)
def update_project(name: Annotated[str, Path(pattern=SLUG_PATTERN)], body: ProjectUpdate, session: DbSession,
                   principal: CurrentPrincipal, projects: ProjectCacheDep) -> ProjectOut:
    """Set the project's own head and tail handles (null: the site's again); admin tokens only."""
    changes = body.model_dump(include=body.model_fields_set)
    return ProjectOut.model_validate(service.update_project(session, principal, name, changes, projects))
