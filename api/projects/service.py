"""Projects a caller may see, and the project a request names."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.errors import Conflict, Forbidden, NotFound
from api.projects import repository
from api.projects.models import Project


def visible_projects(session: Session, principal: Principal) -> Sequence[Project]:
    return repository.projects_of_site(session, principal.site_id, principal.project_ids)


def resolve_project(session: Session, principal: Principal, name: str) -> Project:
    """The caller's project called ``name``; 404 alike when missing or out of the token's scope."""
    project = repository.project_by_name(session, principal.site_id, name)
    if project is None or not principal.sees_project(project.id):
        raise NotFound(f"No project {name!r}.", code="project_not_found")
    return project


def create_project(session: Session, principal: Principal, name: str) -> Project:
    if not principal.is_admin or principal.project_ids is not None:
        raise Forbidden("Creating projects takes a site-wide admin token.", code="admin_required")
    if repository.project_by_name(session, principal.site_id, name) is not None:
        raise Conflict(f"Project {name!r} exists.", code="project_exists")
    project = repository.get_or_create_project(session, principal.site_id, name)
    session.commit()
    return project
