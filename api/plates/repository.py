"""Queries of plates, always within what a principal may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.plates.models import Plate, PlateState
from api.plates.pagination import Cursor


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


def page(session: Session, principal: Principal, *, project_id: uuid.UUID | None,
         states: Sequence[PlateState], after: Cursor | None, limit: int) -> Sequence[Plate]:
    """Up to ``limit`` plates, newest first, strictly after the cursor."""
    query = _visible(principal)
    if project_id is not None:
        query = query.where(Plate.project_id == project_id)
    if states:
        query = query.where(Plate.state.in_(states))
    if after is not None:
        query = query.where(or_(Plate.created_at < after.created_at,
                                and_(Plate.created_at == after.created_at, Plate.id < after.id)))
    query = query.order_by(Plate.created_at.desc(), Plate.id.desc()).limit(limit)
    return session.scalars(query).all()
