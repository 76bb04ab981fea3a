"""/api/v1/projects: the projects of the caller's site (those its token may see)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.projects import service
from api.projects.schemas import ProjectCreate, ProjectList, ProjectOut
from api.urls import API_V1

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
