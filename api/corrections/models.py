"""The ``cut_versions`` table: every cut list a plate has had, detected or corrected, kept for good.

Version 1 is what the first detection found. A correction (split, merge, move, rename, accept or
dismiss a suspicious frame) saves the next number, based on the latest; a re-detection saves one
too. Publishing a version has a job write its outputs; the plate's cut routes then serve it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, str_enum, utcnow

AUTHOR_LENGTH = 200


class VersionOrigin(enum.StrEnum):
    DETECTED = "detected"  # a split's manifest (detection, or a re-detection with other settings)
    CORRECTED = "corrected"  # edits of the version it is based on


class CutVersion(Base):
    __tablename__ = "cut_versions"
    __table_args__ = (UniqueConstraint("plate_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plates.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(comment="1, 2, ... per plate")
    based_on: Mapped[int | None] = mapped_column(comment="The version its edits were made on")
    origin: Mapped[VersionOrigin] = mapped_column(str_enum(VersionOrigin, "version_origin"))
    author: Mapped[str] = mapped_column(String(AUTHOR_LENGTH),
                                        comment="The token's name and prefix; 'detection' for a split")
    author_token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    frame_count: Mapped[int] = mapped_column(comment="Frames of the plate")
    cuts: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="[{first_frame (0-based), name, detected_by}] in order")
    suspicious: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="[{frame, reason}]: picture cuts the burn-ins ran on through")
    dismissed: Mapped[list[int]] = mapped_column(JSON, comment="Suspicious frames dismissed")
    edits: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="What changed from based_on")
    attempt: Mapped[int | None] = mapped_column(
        comment="The plate attempt that detected it, or last published it")
    published_at: Mapped[datetime | None] = mapped_column(comment="When its outputs were last written")
