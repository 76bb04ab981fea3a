"""plate_outputs: the review files (proxy, strip sheets, scores), several files of one kind

A split now also writes what a review page shows (the manifest's ``review``): a proxy, the
detector's scores and the thumbnail strip, one row per sheet. ``output_kind`` takes their kinds;
``part`` tells the files of one kind apart (a strip sheet's number from 1, 0 for the kinds of one
file: its default, kept so that the older API, which writes no part, runs on this schema), and
``(plate_id, kind, part)`` is unique instead of ``(plate_id, kind)``. Downgrading forgets the review
rows (their objects stay in storage).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("manifest", "contact_sheet", "edl", "otio", "csv")  # before this
REVIEW_KINDS = ("proxy", "strip", "scores")
PART_COMMENT = "Which file of its kind: a strip sheet's number (from 1); 0 for the kinds of one file"


def _kinds(values: tuple[str, ...]) -> str:
    return "kind IN ({})".format(", ".join(f"'{value}'" for value in values))


def upgrade() -> None:
    with op.batch_alter_table("plate_outputs") as batch:
        batch.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0",
                                   comment=PART_COMMENT))
        batch.drop_constraint(op.f("uq_plate_outputs_plate_id_kind"), type_="unique")
        batch.create_unique_constraint(op.f("uq_plate_outputs_plate_id_kind_part"),
                                       ["plate_id", "kind", "part"])
        batch.drop_constraint(op.f("ck_plate_outputs_output_kind"), type_="check")
        batch.create_check_constraint("output_kind", _kinds(KINDS + REVIEW_KINDS))


def downgrade() -> None:
    review = ", ".join(f"'{kind}'" for kind in REVIEW_KINDS)
    op.execute(f"DELETE FROM plate_outputs WHERE kind IN ({review})")
    with op.batch_alter_table("plate_outputs") as batch:
        batch.drop_constraint(op.f("ck_plate_outputs_output_kind"), type_="check")
        batch.create_check_constraint("output_kind", _kinds(KINDS))
        batch.drop_constraint(op.f("uq_plate_outputs_plate_id_kind_part"), type_="unique")
        batch.create_unique_constraint(op.f("uq_plate_outputs_plate_id_kind"), ["plate_id", "kind"])
        batch.drop_column("part")
