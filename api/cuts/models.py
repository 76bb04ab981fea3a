"""Every cut the manifest describes, and the plate-level outputs (manifest, EDL, OTIO...)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, str_enum, utcnow

TC = 16  # "01:00:00:00", "01:00:00;00"
FRACTION = 64  # exact seconds as a fraction: "1001/24000"


class OutputKind(enum.StrEnum):
    MANIFEST = "manifest"
    CONTACT_SHEET = "contact_sheet"
    EDL = "edl"
    OTIO = "otio"
    CSV = "csv"
    # the review files (the manifest's ``review``): a review page's proxy, thumbnail strip
    # sheets (one row each) and detector scores
    PROXY = "proxy"
    STRIP = "strip"
    SCORES = "scores"


class Cut(Base):
    __tablename__ = "cuts"
    __table_args__ = (UniqueConstraint("plate_id", "index"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plates.id", ondelete="CASCADE"))
    index: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    first_frame: Mapped[int]
    last_frame: Mapped[int]
    frame_count: Mapped[int]
    head_in: Mapped[int] = mapped_column(comment="First frame number, head handles included (1001)")
    head_out: Mapped[int] = mapped_column(comment="Last frame number of the cut's media (media_out)")
    # the cut fields as trackers know them (Flow Production Tracking's Cut Item, sg-otio)
    cut_in: Mapped[int | None]
    cut_out: Mapped[int | None]
    tail_out: Mapped[int | None]
    head_handles: Mapped[int | None]
    tail_handles: Mapped[int | None]
    cut_duration: Mapped[int | None]
    working_duration: Mapped[int | None]
    media_in: Mapped[int | None] = mapped_column(comment="Frame number of the media's first frame")
    start_time: Mapped[str] = mapped_column(String(FRACTION))
    duration: Mapped[str] = mapped_column(String(FRACTION))
    source_tc_in: Mapped[str | None] = mapped_column(String(TC))
    source_tc_out: Mapped[str | None] = mapped_column(String(TC))
    record_tc_in: Mapped[str] = mapped_column(String(TC))
    record_tc_out: Mapped[str] = mapped_column(String(TC))
    boundary_in: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float]
    is_black: Mapped[bool]
    detected_by: Mapped[str] = mapped_column(String(16))
    name_from: Mapped[str] = mapped_column(String(16))
    source_tc_from: Mapped[str] = mapped_column(String(16))
    transition_kind: Mapped[str | None] = mapped_column(String(16))
    transition_first_frame: Mapped[int | None]
    transition_last_frame: Mapped[int | None]
    transition_edit_frame: Mapped[int | None]
    transition_confidence: Mapped[float | None]
    media_key: Mapped[str | None] = mapped_column(String(1024))
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    media_size: Mapped[int | None] = mapped_column(BigInteger)
    media_frames: Mapped[int | None]
    thumbnail_key: Mapped[str | None] = mapped_column(String(1024))
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    thumbnail_size: Mapped[int | None] = mapped_column(BigInteger)
    picture_hash: Mapped[str | None] = mapped_column(String(16), comment="64-bit perceptual hash of the "
                                                     "thumbnail, hex: matches cuts without names")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlateOutput(Base):
    """A plate-level file of a split: the manifest itself, contact sheet, EDL, OTIO, CSV, and the
    review files (proxy, strip sheets, scores)."""

    __tablename__ = "plate_outputs"
    __table_args__ = (UniqueConstraint("plate_id", "kind", "part"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plates.id", ondelete="CASCADE"))
    kind: Mapped[OutputKind] = mapped_column(str_enum(OutputKind, "output_kind"))
    # defaulted in the database too: an older API, which writes no part, runs on this schema
    part: Mapped[int] = mapped_column(default=0, server_default="0",
                                      comment="Which file of its kind: a strip sheet's number "
                                              "(from 1); 0 for the kinds of one file")
    key: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
