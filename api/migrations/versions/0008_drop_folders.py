"""dropped_objects: the objects of the drop prefix seen, taken or refused (drop folders)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dropped_objects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=False, comment="Bare, without quotes"),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.CheckConstraint("state IN ('seen', 'taken', 'refused')", name="drop_state"),
        sa.Column("reason", sa.Text(), nullable=True, comment="Why it was refused"),
        sa.Column("plate_id", sa.Uuid(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, comment="First listed or notified"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True, comment="Taken or refused"),
        sa.ForeignKeyConstraint(["plate_id"], ["plates.id"], name=op.f("fk_dropped_objects_plate_id_plates"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dropped_objects")),
        sa.UniqueConstraint("key", "etag", name=op.f("uq_dropped_objects_key_etag")),
    )


def downgrade() -> None:
    op.drop_table("dropped_objects")
