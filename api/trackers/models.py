"""tracker_publishes: the publish history of a plate, one row per publish asked for (by a person, or
automatically when the plate's cuts are published).

A publish is ``queued`` (due at ``next_attempt_at``), ``succeeded`` (``result`` says what it did),
``retrying`` (the tracker was down or refused; due again at ``next_attempt_at``) or ``gave_up``
(after the last retry). ``next_attempt_at`` is also the claim's lease while an attempt runs: an
attempt that dies leaves its publish due again.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, str_enum, utcnow

TRACKER_LENGTH = 16


class PublishState(enum.StrEnum):
    QUEUED = "queued"
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    GAVE_UP = "gave_up"


class PublishTrigger(enum.StrEnum):
    REQUEST = "request"  # POST .../publish/{tracker}, platecut publish
    AUTOMATIC = "automatic"  # PLATECUT_TRACKER_AUTO_PUBLISH, when the plate's cuts were published


class TrackerPublish(Base):
    __tablename__ = "tracker_publishes"
    __table_args__ = (Index("ix_tracker_publishes_due", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plates.id", ondelete="CASCADE"), index=True)
    tracker: Mapped[str] = mapped_column(String(TRACKER_LENGTH))
    trigger: Mapped[PublishTrigger] = mapped_column(str_enum(PublishTrigger, "publish_trigger"))
    requested_by: Mapped[str | None] = mapped_column(String(200), comment="Who asked; none: automatic")
    cut_version: Mapped[int | None] = mapped_column(comment="The plate's published cut version then")
    state: Mapped[PublishState] = mapped_column(str_enum(PublishState, "publish_state"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(comment="Due then; none once finished")
    last_attempt_at: Mapped[datetime | None]
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="What the publish did, by shot")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(comment="Succeeded or given up")
