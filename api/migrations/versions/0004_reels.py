"""reels: a plate's reel, version, kind and handles; a project's own handles

A plate may be a version of a reel (declared, or read from its name): ``(project_id, reel, version)``
is unique, NULLs (a plate that stands alone) never conflicting. Plates split before this are
``reference`` plates with 0/0 handles: their cuts were split without any. Cuts gain the cut fields
(NULL for cuts ingested before) and a perceptual hash of their thumbnail.

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

DEFAULT_HANDLES = "0"  # for the plates already there
# the cut fields as trackers know them; NULL for cuts ingested from a schema 1 manifest before this
CUT_FIELDS = ("cut_in", "cut_out", "tail_out", "head_handles", "tail_handles", "cut_duration",
              "working_duration", "media_in")


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
        for column in CUT_FIELDS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True,
                                       comment="Frame number of the media's first frame"
                                       if column == "media_in" else None))
        batch.alter_column("head_in", existing_type=sa.Integer(), existing_nullable=False,
                           comment="First frame number, head handles included (1001)")
        batch.alter_column("head_out", existing_type=sa.Integer(), existing_nullable=False,
                           comment="Last frame number of the cut's media (media_out)")
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("head_handles", sa.Integer(), nullable=True,
                                   comment="The project's own; None: the site's"))
        batch.add_column(sa.Column("tail_handles", sa.Integer(), nullable=True,
                                   comment="The project's own; None: the site's"))


def downgrade() -> None:
    with op.batch_alter_table("cuts") as batch:
        for column in reversed(CUT_FIELDS):
            batch.drop_column(column)
        batch.drop_column("picture_hash")
        batch.alter_column("head_in", existing_type=sa.Integer(), existing_nullable=False, comment=None)
        batch.alter_column("head_out", existing_type=sa.Integer(), existing_nullable=False, comment=None)
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("tail_handles")
        batch.drop_column("head_handles")
    with op.batch_alter_table("plates") as batch:
        batch.drop_constraint(op.f("uq_plates_project_id_reel_version"), type_="unique")
        batch.drop_constraint(op.f("ck_plates_plate_kind"), type_="check")
        batch.drop_constraint(op.f("ck_plates_reel_from"), type_="check")
        for column in ("tail_handles", "head_handles", "kind", "reel_from", "version", "reel"):
            batch.drop_column(column)
