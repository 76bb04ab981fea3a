"""Queries of sites and projects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.projects.models import Project, Site


def site_by_name(session: Session, name: str) -> Site | None:
    return session.scalar(select(Site).where(Site.name == name))


def get_or_create_site(session: Session, name: str) -> Site:
    site = site_by_name(session, name)
    if site is None:
        site = Site(name=name)
        session.add(site)
        session.flush()
    return site


def project_by_name(session: Session, site_id: uuid.UUID, name: str) -> Project | None:
    return session.scalar(select(Project).where(Project.site_id == site_id, Project.name == name))


def get_or_create_project(session: Session, site_id: uuid.UUID, name: str) -> Project:
    project = project_by_name(session, site_id, name)
    if project is None:
        project = Project(site_id=site_id, name=name)
        session.add(project)
        session.flush()
    return project


def projects_of_site(session: Session, site_id: uuid.UUID,
                     only: frozenset[uuid.UUID] | None = None) -> Sequence[Project]:
    query = select(Project).where(Project.site_id == site_id).order_by(Project.name)
    if only is not None:
        query = query.where(Project.id.in_(only))
    return session.scalars(query).all()


def projects_by_ids(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Project]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(set(ids))))}
