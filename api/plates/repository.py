"""Queries of plates, always within what a principal may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping, Select, and_, or_, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.plates.models import Plate, PlateState
from api.plates.pagination import Cursor
from api.projects.models import Project


def _visible(principal: Principal) -> Select[Plate]:
    query = select(Plate).where(Plate.site_id == principal.site_id)
    if principal.project_ids is not None:
        query = query.where(Plate.project_id.in_(principal.project_ids))
    return query


def get_visible(session: Session, principal: Principal, plate_id: uuid.UUID,
                lock: bool = False) -> Plate | None:
    """The plate when the principal may see it; ``lock`` takes a row lock (PostgreSQL)."""
    query = _visible(principal).where(Plate.id == plate_id)
    if lock:
        query = query.with_for_update(of=Plate)
    return session.scalar(query)


# what a plate's listing shows, by the names of PlateOut's fields
LISTED = (Plate.id, Plate.name, Project.name.label("project"), Plate.state, Plate.state_reason,
          Plate.attempt, Plate.size_bytes.label("size"), Plate.sha256, Plate.sha256_verified,
          Plate.source_key, Plate.output_prefix, Plate.job_name, Plate.created_at, Plate.updated_at,
          Plate.uploaded_at, Plate.started_at, Plate.finished_at)


def page(session: Session, principal: Principal, *, project_id: uuid.UUID | None,
         states: Sequence[PlateState], after: Cursor | None, limit: int) -> Sequence[RowMapping]:
    """Up to ``limit`` plates, newest first, strictly after the cursor: the listed columns only
    (rows, not ORM objects: a page of 50 costs a fraction of loading the plates)."""
    query = select(*LISTED).join(Project, Plate.project_id == Project.id) \
        .where(Plate.site_id == principal.site_id)
    if principal.project_ids is not None:
        query = query.where(Plate.project_id.in_(principal.project_ids))
    if project_id is not None:
        query = query.where(Plate.project_id == project_id)
    if states:
        query = query.where(Plate.state.in_(states))
    if after is not None:
        query = query.where(or_(Plate.created_at < after.created_at,
                                and_(Plate.created_at == after.created_at, Plate.id < after.id)))
    query = query.order_by(Plate.created_at.desc(), Plate.id.desc()).limit(limit)
    return session.execute(query).mappings().all()
