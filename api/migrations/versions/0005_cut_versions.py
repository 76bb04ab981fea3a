"""cut versions and browser sessions

Cut versions: every cut list a plate has had, detected or corrected, and which one is published.
Browser sessions: a sign-in with a token, named by a cookie's secret (its SHA-256 stored).

Plates split before this have no cut version: their first re-detection or correction starts at 1
(a correction needs a version to be based on, so such a plate is re-detected first).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cut_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plate_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, ... per plate"),
        sa.Column("based_on", sa.Integer(), nullable=True, comment="The version its edits were made on"),
        sa.Column("origin", sa.Enum("detected", "corrected", name="version_origin", native_enum=False,
                                    create_constraint=True, length=24), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False,
                  comment="The token's name and prefix; 'detection' for a split"),
        sa.Column("author_token_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frame_count", sa.Integer(), nullable=False, comment="Frames of the plate"),
        sa.Column("cuts", sa.JSON(), nullable=False,
                  comment="[{first_frame (0-based), name, detected_by}] in order"),
        sa.Column("suspicious", sa.JSON(), nullable=False,
                  comment="[{frame, reason}]: picture cuts the burn-ins ran on through"),
        sa.Column("dismissed", sa.JSON(), nullable=False, comment="Suspicious frames dismissed"),
        sa.Column("edits", sa.JSON(), nullable=False, comment="What changed from based_on"),
        sa.Column("attempt", sa.Integer(), nullable=True,
                  comment="The plate attempt that detected it, or last published it"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True,
                  comment="When its outputs were last written"),
        sa.ForeignKeyConstraint(["author_token_id"], ["api_tokens.id"],
                                name=op.f("fk_cut_versions_author_token_id_api_tokens"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["plate_id"], ["plates.id"], name=op.f("fk_cut_versions_plate_id_plates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cut_versions")),
        sa.UniqueConstraint("plate_id", "number", name=op.f("uq_cut_versions_plate_id_number")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True, comment="Signed out"),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], ondelete="CASCADE",
                                name=op.f("fk_web_sessions_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_web_sessions_secret_hash")),
    )
    op.create_index(op.f("ix_web_sessions_token_id"), "web_sessions", ["token_id"])
    with op.batch_alter_table("plates") as batch:
        batch.add_column(sa.Column("published_cut_version", sa.Integer(), nullable=True,
                                   comment="The cut version its cut routes serve"))
        batch.add_column(sa.Column("publishing_cut_version", sa.Integer(), nullable=True,
                                   comment="The cut version its current attempt writes; NULL: the "
                                   "attempt detects"))
        batch.add_column(sa.Column("detector_args", sa.JSON(), nullable=True,
                                   comment="The job's detector and burn-in options for this plate "
                                   "(--set, --burnin-region)"))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("cut_list_uri", sa.String(length=2048), nullable=True,
                                   comment="The cut version it publishes; NULL: it detects"))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("cut_list_uri")
    with op.batch_alter_table("plates") as batch:
        batch.drop_column("detector_args")
        batch.drop_column("publishing_cut_version")
        batch.drop_column("published_cut_version")
    op.drop_index(op.f("ix_web_sessions_token_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("cut_versions")
