"""tracker_publishes: each plate's publish history to its trackers, with retries

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tracker_publishes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plate_id", sa.Uuid(), nullable=False),
        sa.Column("tracker", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=24), nullable=False),
        sa.CheckConstraint("trigger IN ('request', 'automatic')", name="publish_trigger"),
        sa.Column("requested_by", sa.String(length=200), nullable=True, comment="Who asked; none: automatic"),
        sa.Column("cut_version", sa.Integer(), nullable=True,
                  comment="The plate's published cut version then"),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'succeeded', 'retrying', 'gave_up')", name="publish_state"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True,
                  comment="Due then; none once finished"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True, comment="What the publish did, by shot"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True, comment="Succeeded or given up"),
        sa.ForeignKeyConstraint(["plate_id"], ["plates.id"], ondelete="CASCADE",
                                name=op.f("fk_tracker_publishes_plate_id_plates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_publishes")),
    )
    op.create_index("ix_tracker_publishes_due", "tracker_publishes", ["next_attempt_at"])
    op.create_index(op.f("ix_tracker_publishes_plate_id"), "tracker_publishes", ["plate_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tracker_publishes_plate_id"), table_name="tracker_publishes")
    op.drop_index("ix_tracker_publishes_due", table_name="tracker_publishes")
    op.drop_table("tracker_publishes")
