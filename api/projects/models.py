"""A site is the tenant: nothing of one site is visible to another. Projects belong to a site."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, utcnow

SLUG_LENGTH = 64


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(SLUG_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    head_handles: Mapped[int | None] = mapped_column(comment="The project's own; None: the site's")
    tail_handles: Mapped[int | None] = mapped_column(comment="The project's own; None: the site's")
