"""Queries of dropped_objects."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.drops.models import DroppedObject, DropState


def find(session: Session, key: str, etag: str) -> DroppedObject | None:
    return session.scalars(select(DroppedObject).where(DroppedObject.key == key,
                                                       DroppedObject.etag == etag)).one_or_none()


def known(session: Session, keys: Iterable[str]) -> dict[tuple[str, str], DroppedObject]:
    """The rows of these keys (any ETag), by (key, etag)."""
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], DroppedObject] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(select(DroppedObject).where(DroppedObject.key.in_(wanted[start:start + 500])))
        found.update({(row.key, row.etag): row for row in rows})
    return found


def claim_seen(session: Session, row_id: uuid.UUID) -> bool:
    """Compare and set: the ``seen`` row becomes ``taken`` (provisionally, in this transaction) unless
    another transaction decided it first (PostgreSQL waits for it, then finds no ``seen`` row)."""
    result = session.execute(update(DroppedObject).where(DroppedObject.id == row_id,
                                                         DroppedObject.state == DropState.SEEN)
                             .values(state=DropState.TAKEN).execution_options(synchronize_session=False))
    return getattr(result, "rowcount", 0) == 1


def forget_other_sightings(session: Session, key: str, etag: str) -> None:
    """The ``seen`` rows of earlier contents of ``key`` (a file that was still growing)."""
    session.execute(delete(DroppedObject).where(DroppedObject.key == key, DroppedObject.etag != etag,
                                                DroppedObject.state == DropState.SEEN)
                    .execution_options(synchronize_session=False))
