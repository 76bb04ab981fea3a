"""runs: one row per plate attempt; an index of plates by state

The reconcile reads the active plates (``queued``/``running``) every few seconds: ``ix_plates_state``
serves it. Every name follows the naming convention of ``api.db.base``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_STATES = ("submit_pending", "queued", "running", "succeeded", "failed", "rejected", "lost", "cancelled")


def _ts(name: str, nullable: bool = False, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def upgrade() -> None:
    listed = ", ".join(f"'{value}'" for value in RUN_STATES)
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plate_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True, comment="Why it ended, or why submitting failed"),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("source_uri", sa.String(length=2048), nullable=False),
        sa.Column("output_uri", sa.String(length=2048), nullable=False,
                  comment="This attempt's own output prefix"),
        _ts("created_at"), _ts("updated_at"),
        _ts("submitted_at", True, "When the launcher accepted the job"),
        _ts("started_at", True), _ts("finished_at", True),
        _ts("missing_since", True, "First tick the launcher lacked the job"),
        sa.CheckConstraint(f"state IN ({listed})", name="run_state"),
        sa.ForeignKeyConstraint(["plate_id"], ["plates.id"], name=op.f("fk_runs_plate_id_plates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("plate_id", "attempt", name=op.f("uq_runs_plate_id_attempt")),
    )
    op.create_index(op.f("ix_runs_job_name"), "runs", ["job_name"])
    op.create_index(op.f("ix_plates_state"), "plates", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_plates_state"), table_name="plates")
    op.drop_index(op.f("ix_runs_job_name"), table_name="runs")
    op.drop_table("runs")
