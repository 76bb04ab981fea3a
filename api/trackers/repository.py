"""Queries of the publish history: a plate's publishes, one publish, and the due ones (claimed
row-locked: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.locks import take_write_lock
from api.trackers.models import TrackerPublish


def of_plate(session: Session, plate_id: uuid.UUID) -> list[TrackerPublish]:
    """Newest first."""
    query = (select(TrackerPublish).where(TrackerPublish.plate_id == plate_id)
             .order_by(TrackerPublish.created_at.desc(), TrackerPublish.id))
    return list(session.scalars(query))


def lock(session: Session, publish_id: uuid.UUID) -> TrackerPublish | None:
    take_write_lock(session)
    query = select(TrackerPublish).where(TrackerPublish.id == publish_id).with_for_update()
    return session.scalars(query).one_or_none()


def claim_due(session: Session, now: datetime, limit: int) -> list[TrackerPublish]:
    """Due publishes, oldest due first, skipping those another transaction holds."""
    take_write_lock(session)
    query = (select(TrackerPublish).where(TrackerPublish.next_attempt_at <= now)
             .order_by(TrackerPublish.next_attempt_at, TrackerPublish.id).limit(limit)
             .with_for_update(skip_locked=True))
    return list(session.scalars(query))
