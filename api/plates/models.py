"""The plate row: its state machine, upload facts, and what a launcher needs later."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base, new_id, str_enum, utcnow
from api.projects.models import Project, Site

REEL_LENGTH = 120


class PlateState(enum.StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    UPLOADED = "uploaded"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PlateKind(enum.StrEnum):
    REFERENCE = "reference"  # each segment holds the cut's frames alone: handles are virtual
    SCAN = "scan"  # each segment holds its handles too


class ReelFrom(enum.StrEnum):
    DECLARED = "declared"  # given on creation
    NAME = "name"  # read from the plate's name (ep101_r2_v07.mov)


TERMINAL_STATES = frozenset({PlateState.SUCCEEDED, PlateState.FAILED, PlateState.REJECTED,
                             PlateState.CANCELLED})


class Plate(Base):
    __tablename__ = "plates"
    __table_args__ = (
        Index(None, "site_id", "created_at", "id"),
        Index(None, "project_id", "state"),
        Index(None, "state"),  # the reconcile's active plates
        UniqueConstraint("project_id", "reel", "version"),  # NULLs (no reel) never conflict
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[PlateState] = mapped_column(str_enum(PlateState, "plate_state"),
                                              default=PlateState.AWAITING_UPLOAD)
    state_reason: Mapped[str | None] = mapped_column(Text, comment="Why the plate is in a terminal state")
    attempt: Mapped[int] = mapped_column(default=1)
    size_bytes: Mapped[int] = mapped_column(BigInteger, comment="Declared size")
    sha256: Mapped[str | None] = mapped_column(String(64), comment="Declared SHA-256, hex")
    sha256_verified: Mapped[bool] = mapped_column(default=False)
    source_key: Mapped[str] = mapped_column(String(1024))
    source_etag: Mapped[str | None] = mapped_column(String(200))
    output_prefix: Mapped[str] = mapped_column(String(1024))
    job_name: Mapped[str | None] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    uploaded_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reel: Mapped[str | None] = mapped_column(String(REEL_LENGTH))
    version: Mapped[int | None]
    reel_from: Mapped[ReelFrom | None] = mapped_column(str_enum(ReelFrom, "reel_from"))
    kind: Mapped[PlateKind] = mapped_column(str_enum(PlateKind, "plate_kind"), default=PlateKind.REFERENCE)
    head_handles: Mapped[int] = mapped_column(default=8)
    tail_handles: Mapped[int] = mapped_column(default=8)
    purged_at: Mapped[datetime | None] = mapped_column(
        comment="When the sweep deleted its objects (abandoned)")
    published_cut_version: Mapped[int | None] = mapped_column(
        comment="The cut version its cut routes serve")
    publishing_cut_version: Mapped[int | None] = mapped_column(
        comment="The cut version its current attempt writes; NULL: the attempt detects")
    detector_args: Mapped[list[str] | None] = mapped_column(
        JSON, comment="The job's detector and burn-in options for this plate (--set, --burnin-region)")

    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)
    project: Mapped[Project] = relationship(lazy="joined", innerjoin=True)
