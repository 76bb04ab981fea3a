"""Projects a caller may see, and the project a request names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.errors import Conflict, Forbidden, NotFound
from api.projects import repository
from api.projects.models import Project
from api.ttl_cache import TtlCache


@dataclass(frozen=True)
class ProjectRef:
    """What a new plate needs of its project: never an ORM object shared between sessions."""

    id: uuid.UUID
    name: str
    head_handles: int | None = None  # the project's own handles; None: the site's
    tail_handles: int | None = None

    def handles(self, site_head: int, site_tail: int) -> tuple[int, int]:
        """(head, tail) handles of the project's plates unless a plate says otherwise."""
        return (site_head if self.head_handles is None else self.head_handles,
                site_tail if self.tail_handles is None else self.tail_handles)


ProjectCache = TtlCache[tuple[uuid.UUID, str], ProjectRef]  # by (site id, name)


def visible_projects(session: Session, principal: Principal) -> Sequence[Project]:
    return repository.projects_of_site(session, principal.site_id, principal.project_ids)


def project_ref(session: Session, principal: Principal, name: str, cache: ProjectCache | None) -> ProjectRef:
    """The caller's project called ``name``; 404 alike when missing or out of the token's scope.

    Looked up through a short memory: projects are never renamed or deleted, so a busy client
    costs no project query per request; the token's scope is checked every time."""
    key = (principal.site_id, name)
    ref = cache.get(key) if cache is not None else None
    if ref is None:
        project = repository.project_by_name(session, principal.site_id, name)
        if project is None:
            raise _no_project(name)
        ref = ProjectRef(project.id, project.name, project.head_handles, project.tail_handles)
        if cache is not None:
            cache.put(key, ref)
    if not principal.sees_project(ref.id):
        raise _no_project(name)
    return ref


def _no_project(name: str) -> NotFound:
    return NotFound(f"No project {name!r}.", code="project_not_found")


def update_project(session: Session, principal: Principal, name: str, changes: dict[str, int | None],
                   cache: ProjectCache | None) -> Project:
    """Set the project's own handles (admin tokens of the site or of that project); plates created
    from now on take them. This process forgets the project at once, others within the cache's time."""
    if not principal.is_admin:
        raise Forbidden("Changing a project takes an admin token.", code="admin_required")
    project = repository.project_by_name(session, principal.site_id, name)
    if project is None or not principal.sees_project(project.id):
        raise _no_project(name)
    for field, value in changes.items():
        setattr(project, field, value)
    session.flush()
    if cache is not None:
        cache.drop((principal.site_id, name))
    return project


def create_project(session: Session, principal: Principal, name: str,
                   handles: tuple[int | None, int | None] = (None, None)) -> Project:
    """A new project; ``handles``: its own (head, tail) handles, None for the site's."""
    if not principal.is_admin or principal.project_ids is not None:
        raise Forbidden("Creating projects takes a site-wide admin token.", code="admin_required")
    if repository.project_by_name(session, principal.site_id, name) is not None:
        raise Conflict(f"Project {name!r} exists.", code="project_exists")
    project = repository.get_or_create_project(session, principal.site_id, name)
    project.head_handles, project.tail_handles = handles
    return project
