"""Queries of plates, always within what a principal may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, RowMapping, and_, or_, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.locks import take_write_lock
from api.errors import NotFound
from api.plates.models import Plate, PlateState
from api.plates.pagination import Cursor
from api.projects.models import Project


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on plates that the principal may see them (its site, its token's projects)."""
    if principal.project_ids is None:
        return Plate.site_id == principal.site_id
    return and_(Plate.site_id == principal.site_id, Plate.project_id.in_(principal.project_ids))


def get_plate(session: Session, principal: Principal, plate_id: uuid.UUID, lock: bool = False) -> Plate:
    """The plate, or 404 alike whether it does not exist or belongs to someone else; ``lock``: the
    caller will change it, so no other transaction may until this one ends (a row lock; SQLite's
    write lock)."""
    query = select(Plate).where(visible_to(principal), Plate.id == plate_id)
    if lock:
        take_write_lock(session)
        query = query.with_for_update(of=Plate)
    plate = session.scalar(query)
    if plate is None:
        raise NotFound(f"No plate {plate_id}.", code="plate_not_found")
    return plate


def version_of_reel(session: Session, project_id: uuid.UUID, reel: str, version: int) -> uuid.UUID | None:
    """The plate that is this version of this reel of the project, if any."""
    return session.scalar(select(Plate.id).where(Plate.project_id == project_id, Plate.reel == reel,
                                                 Plate.version == version))


# what a plate's listing shows, by the names of PlateOut's fields
LISTED = (Plate.id, Plate.name, Project.name.label("project"), Plate.state, Plate.state_reason,
          Plate.attempt, Plate.size_bytes.label("size"), Plate.sha256, Plate.sha256_verified,
          Plate.source_key, Plate.output_prefix, Plate.job_name, Plate.created_at, Plate.updated_at,
          Plate.uploaded_at, Plate.started_at, Plate.finished_at, Plate.purged_at, Plate.reel,
          Plate.version, Plate.reel_from, Plate.kind, Plate.head_handles, Plate.tail_handles)


def page(session: Session, principal: Principal, *, project_id: uuid.UUID | None,
         states: Sequence[PlateState], after: Cursor | None, limit: int,
         reel: str | None = None) -> Sequence[RowMapping]:
    """Up to ``limit`` plates, newest first, strictly after the cursor: the listed columns only
    (rows, not ORM objects: a page of 50 costs a fraction of loading the plates)."""
    query = select(*LISTED).join(Project, Plate.project_id == Project.id).where(visible_to(principal))
    if project_id is not None:
        query = query.where(Plate.project_id == project_id)
    if states:
        query = query.where(Plate.state.in_(states))
    if reel is not None:
        query = query.where(Plate.reel == reel)
    if after is not None:
        query = query.where(or_(Plate.created_at < after.created_at,
                                and_(Plate.created_at == after.created_at, Plate.id < after.id)))
    query = query.order_by(Plate.created_at.desc(), Plate.id.desc()).limit(limit)
    return session.execute(query).mappings().all()


def lock_plate(session: Session, plate_id: uuid.UUID) -> Plate | None:
    """The plate row-locked, whoever may see it (a tick's, not a request's), or None when gone."""
    take_write_lock(session)
    return session.scalar(select(Plate).where(Plate.id == plate_id).with_for_update(of=Plate))
