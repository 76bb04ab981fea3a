"""One upload per plate: a single PUT or a multipart upload, with its part layout."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, str_enum, utcnow


class UploadKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPART = "multipart"


class UploadState(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    ABORTED = "aborted"


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plates.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[UploadKind] = mapped_column(str_enum(UploadKind, "upload_kind"))
    multipart_upload_id: Mapped[str | None] = mapped_column(String(1024))
    part_size: Mapped[int] = mapped_column(BigInteger)
    part_count: Mapped[int]
    state: Mapped[UploadState] = mapped_column(str_enum(UploadState, "upload_state"),
                                               default=UploadState.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
