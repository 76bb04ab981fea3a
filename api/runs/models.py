"""The ``runs`` table: one row per attempt at splitting a plate (its job, outcome and timings)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, str_enum, utcnow

URI_LENGTH = 2048


class RunState(enum.StrEnum):
    SUBMIT_PENDING = "submit_pending"  # recorded and committed; the launcher has not accepted it yet
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"  # bad input: never retried
    LOST = "lost"  # the job vanished without a manifest
    CANCELLED = "cancelled"


ACTIVE_RUN_STATES = frozenset({RunState.SUBMIT_PENDING, RunState.QUEUED, RunState.RUNNING})


class Run(Base):
    """An attempt: ``attempt`` is the plate's attempt number, ``tries`` its place in the series of
    automatic retries (1 for an attempt started by an upload or a client's retry)."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("plate_id", "attempt"),
        Index(None, "job_name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plates.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    tries: Mapped[int] = mapped_column(default=1)
    job_name: Mapped[str] = mapped_column(String(63))
    state: Mapped[RunState] = mapped_column(str_enum(RunState, "run_state"), default=RunState.SUBMIT_PENDING)
    reason: Mapped[str | None] = mapped_column(Text, comment="Why it ended, or why submitting failed")
    exit_code: Mapped[int | None]
    source_uri: Mapped[str] = mapped_column(String(URI_LENGTH))
    output_uri: Mapped[str] = mapped_column(String(URI_LENGTH), comment="This attempt's own output prefix")
    cut_list_uri: Mapped[str | None] = mapped_column(
        String(URI_LENGTH), comment="The cut version it publishes; NULL: it detects")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(comment="When the launcher accepted the job")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    missing_since: Mapped[datetime | None] = mapped_column(comment="First tick the launcher lacked the job")
