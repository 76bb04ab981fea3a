"""Queries of uploads."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.uploads.models import Upload


def upload_of_plate(session: Session, plate_id: uuid.UUID, lock: bool = False) -> Upload | None:
    query = select(Upload).where(Upload.plate_id == plate_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)
