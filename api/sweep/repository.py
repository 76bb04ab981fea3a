"""Queries of the sweep: plates whose upload expired, abandoned plates, and the lock it takes on one.

The candidates are read without locks, a batch at a time; each is then locked alone and checked
again (``lock_plate``): on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so a plate a request (or another
sweep) holds is skipped, left for the next pass; on SQLite the database's write lock (BEGIN
IMMEDIATE), so the request finishes first and the check sees what it committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.locks import take_write_lock
from api.plates.models import Plate, PlateState
from api.uploads.models import Upload, UploadState

# ended without outputs anyone wants: their objects go after the retention (succeeded plates never)
ABANDONED_STATES = frozenset({PlateState.CANCELLED, PlateState.FAILED, PlateState.REJECTED})


def expired_uploads(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    """Plates awaiting an upload that expired at ``now`` or before, oldest expiry first."""
    query = (select(Plate.id).join(Upload, Upload.plate_id == Plate.id)
             .where(Plate.state == PlateState.AWAITING_UPLOAD, Upload.state == UploadState.PENDING,
                    Upload.expires_at <= now)
             .order_by(Upload.expires_at, Plate.id).limit(limit))
    return list(session.scalars(query))


def abandoned_plates(session: Session, ended_before: datetime, limit: int) -> list[uuid.UUID]:
    """Cancelled, failed and rejected plates ended at ``ended_before`` or before, not purged yet."""
    query = (select(Plate.id)
             .where(Plate.state.in_(ABANDONED_STATES), Plate.purged_at.is_(None),
                    Plate.finished_at <= ended_before)
             .order_by(Plate.finished_at, Plate.id).limit(limit))
    return list(session.scalars(query))


def lock_plate(session: Session, plate_id: uuid.UUID, states: Collection[PlateState]) -> Plate | None:
    """The plate, row-locked, when it is in one of ``states`` and no other transaction holds it
    (call it first in a transaction)."""
    take_write_lock(session)
    query = select(Plate).where(Plate.id == plate_id, Plate.state.in_(states))
    return session.scalar(query.with_for_update(skip_locked=True, of=Plate))
