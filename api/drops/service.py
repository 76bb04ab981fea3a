"""Dropped objects: where a key says a plate goes, and which object is ours to decide on, once.

A leaf service: it changes rows and flushes, never commits. ``api.drops.flows`` makes the plates.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.config import DropSettings
from api.db.base import utcnow
from api.db.locks import take_write_lock
from api.drops import repository
from api.drops.models import DroppedObject, DropState
from api.integrations.storage import ListedObject

log = logging.getLogger(__name__)
# the principal a dropped plate is made by: no token, the site's own
DROP_TOKEN_ID = uuid.UUID(int=0)


@dataclass(frozen=True)
class Offer:
    """A complete object of the drop prefix: listed and found stable, or notified by the storage."""

    key: str
    size: int
    etag: str  # bare


@dataclass(frozen=True)
class Place:
    site: str
    project: str
    name: str


def bare_etag(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def place_of(prefix: str, key: str) -> Place | None:
    """``<prefix><site>/<project>/<file>``: where the object's plate goes; None for any other key."""
    if not key.startswith(prefix):
        return None
    parts = key[len(prefix):].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return Place(*parts)


def ready(listed: ListedObject, row: DroppedObject | None, settings: DropSettings, now: datetime) -> bool:
    """Whether a listed object is complete: last modified ``min_age_seconds`` ago, or seen with this
    very size and ETag on an earlier tick at least ``stable_seconds`` ago (S3 lists no multipart
    upload before it is completed; a file written in place on disk changes size and ETag meanwhile)."""
    if listed.last_modified <= now - timedelta(seconds=settings.min_age_seconds):
        return True
    return (row is not None and row.size == listed.size
            and now - row.seen_at >= timedelta(seconds=settings.stable_seconds))


def note_seen(session: Session, listed: ListedObject) -> None:
    """The first sighting of this content of the key (a concurrent tick's is as good)."""
    try:
        with session.begin_nested():
            session.add(DroppedObject(key=listed.key, etag=listed.etag, size=listed.size,
                                      state=DropState.SEEN))
    except IntegrityError:
        pass


def claim(session: Session, offer: Offer) -> DroppedObject | None:
    """The row of ``offer``, provisionally ``taken`` in this transaction, when it is ours to decide;
    None when it was decided already or a concurrent transaction has it (the unique (key, ETag) or
    the compare and set of a ``seen`` row: the loser makes nothing)."""
    take_write_lock(session)
    row = repository.find(session, offer.key, offer.etag)
    if row is not None:
        if row.state is not DropState.SEEN or not repository.claim_seen(session, row.id):
            return None
        session.refresh(row)
        return row
    row = DroppedObject(key=offer.key, etag=offer.etag, size=offer.size, state=DropState.TAKEN)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent notification or tick inserted it first
        return None
    return row


def taken(session: Session, row: DroppedObject, plate_id: uuid.UUID) -> None:
    row.state, row.plate_id, row.decided_at = DropState.TAKEN, plate_id, utcnow()
    repository.forget_other_sightings(session, row.key, row.etag)
    session.flush()


def refused(session: Session, row: DroppedObject, reason: str) -> None:
    """Refused for good: logged once, never tried again (a new ETag of the key is a new object)."""
    row.state, row.reason, row.decided_at = DropState.REFUSED, reason, utcnow()
    repository.forget_other_sightings(session, row.key, row.etag)
    session.flush()
    log.warning("dropped object refused", extra={"key": row.key, "etag": row.etag, "reason": reason})
