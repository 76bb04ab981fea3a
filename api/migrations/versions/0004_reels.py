"""reels: a plate's reel, version, kind and handles; a project's own handles

A plate may be a version of a reel (declared, or read from its name): ``(project_id, reel, version)``
is unique, NULLs (a plate that stands alone) never conflicting. Existing plates are ``reference``
plates with the default 8/8 handles.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_HANDLES = "8"


def upgrade() -> None:
    with op.batch_alter_table("plates") as batch:
        batch.add_column(sa.Column("reel", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reel_from", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(length=24), nullable=False,
                                   server_default="reference"))
        batch.add_column(sa.Column("head_handles", sa.Integer(), nullable=False,
                                   server_default=DEFAULT_HANDLES))
        batch.add_column(sa.Column("tail_handles", sa.Integer(), nullable=False,
                                   server_default=DEFAULT_HANDLES))
        batch.create_check_constraint("reel_from", "reel_from IN ('declared', 'name')")
        batch.create_check_constraint("plate_kind", "kind IN ('reference', 'scan')")
        batch.create_unique_constraint(op.f("uq_plates_project_id_reel_version"),
                                       ["project_id", "reel", "version"])
    with op.batch_alter_table("plates") as batch:  # the defaults were for the rows already there
        batch.alter_column("kind", server_default=None)
        batch.alter_column("head_handles", server_default=None)
        batch.alter_column("tail_handles", server_default=None)
    with op.batch_alter_table("cuts") as batch:
        batch.add_column(sa.Column("picture_hash", sa.String(length=16), nullable=True,
                                   comment="64-bit perceptual hash of the thumbnail, hex: matches cuts "
                                   "without names"))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("head_handles", sa.Integer(), nullable=True,
                                   comment="The project's own; None: the site's"))
        batch.add_column(sa.Column("tail_handles", sa.Integer(), nullable=True,
                                   comment="The project's own; None: the site's"))


def downgrade() -> None:
    with op.batch_alter_table("cuts") as batch:
        batch.drop_column("picture_hash")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("tail_handles")
        batch.drop_column("head_handles")
    with op.batch_alter_table("plates") as batch:
        batch.drop_constraint(op.f("uq_plates_project_id_reel_version"), type_="unique")
        batch.drop_constraint(op.f("ck_plates_plate_kind"), type_="check")
        batch.drop_constraint(op.f("ck_plates_reel_from"), type_="check")
        for column in ("tail_handles", "head_handles", "kind", "reel_from", "version", "reel"):
            batch.drop_column(column)
