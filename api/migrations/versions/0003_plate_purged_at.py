"""plates.purged_at: when the sweep deleted an abandoned plate's objects

The sweep deletes the objects of cancelled, failed and rejected plates that ended longer ago than
``PLATECUT_SWEEP_ABANDONED_AFTER_SECONDS`` and keeps their rows; ``purged_at`` records it, so a plate is
purged once and a purged plate is never retried. Nullable: additive, an older API runs on it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plates", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True,
                                      comment="When the sweep deleted its objects (abandoned)"))


def downgrade() -> None:
    op.drop_column("plates", "purged_at")
