"""dropped_objects: every object of the drop prefix the API has seen, once per (key, ETag).

A row is ``seen`` (listed once, waiting to be seen unchanged again), ``taken`` (its plate made, in
the same transaction) or ``refused`` (never taken: unknown site or project, a bad name, the version
taken; ``reason`` says which). ``(key, etag)`` is unique: a notification and a listing, or two ticks,
never make two plates of one object.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, str_enum, utcnow


class DropState(enum.StrEnum):
    SEEN = "seen"
    TAKEN = "taken"
    REFUSED = "refused"


class DroppedObject(Base):
    __tablename__ = "dropped_objects"
    __table_args__ = (UniqueConstraint("key", "etag"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(1024))
    etag: Mapped[str] = mapped_column(String(200), comment="Bare, without quotes")
    size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[DropState] = mapped_column(str_enum(DropState, "drop_state"))
    reason: Mapped[str | None] = mapped_column(Text, comment="Why it was refused")
    plate_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plates.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, comment="First listed or notified")
    decided_at: Mapped[datetime | None] = mapped_column(comment="Taken or refused")
