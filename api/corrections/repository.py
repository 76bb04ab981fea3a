"""Queries of cut versions (the plate's visibility is checked by the caller, through its plate)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.corrections.models import CutVersion


def latest(session: Session, plate_id: uuid.UUID) -> CutVersion | None:
    query = (select(CutVersion).where(CutVersion.plate_id == plate_id)
             .order_by(CutVersion.number.desc()).limit(1))
    return session.scalars(query).first()


def by_number(session: Session, plate_id: uuid.UUID, number: int) -> CutVersion | None:
    query = select(CutVersion).where(CutVersion.plate_id == plate_id, CutVersion.number == number)
    return session.scalars(query).first()


def all_of_plate(session: Session, plate_id: uuid.UUID) -> Sequence[CutVersion]:
    """Newest first."""
    query = select(CutVersion).where(CutVersion.plate_id == plate_id).order_by(CutVersion.number.desc())
    return session.scalars(query).all()
