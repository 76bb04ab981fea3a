"""initial schema

Sites, projects, API tokens, plates, uploads, cuts and plate outputs. Enums are VARCHAR
with a named CHECK constraint (the same DDL on PostgreSQL and SQLite); every name follows
the naming convention of ``api.db.base``.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 13:44:02.521790
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _ref(column: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(column, sa.Uuid(), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable, comment=comment)


def _int(name: str, nullable: bool = False, big: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), nullable=nullable)


def _check(column: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)  # named by the convention


PLATE_STATES = ("awaiting_upload", "uploaded", "queued", "running", "succeeded", "failed", "rejected",
                "cancelled")


def upgrade() -> None:
    _sites_projects_tokens()
    _plates()
    _cuts()
    _plate_outputs()
    _uploads()


def _sites_projects_tokens() -> None:
    op.create_table(
        "sites", _id(), _str("name", 64), _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "api_tokens", _id(), _ref("site_id"), _str("name", 200), _str("prefix", 16),
        _str("token_hash", 64), sa.Column("is_admin", sa.Boolean(), nullable=False),
        _ts("created_at"), _ts("last_used_at", True), _ts("revoked_at", True),
        _fk("api_tokens", "site_id", "sites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_site_id"), "api_tokens", ["site_id"])
    op.create_table(
        "projects", _id(), _ref("site_id"), _str("name", 64), _ts("created_at"),
        _fk("projects", "site_id", "sites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("site_id", "name", name=op.f("uq_projects_site_id_name")),
    )
    op.create_index(op.f("ix_projects_site_id"), "projects", ["site_id"])
    op.create_table(
        "api_token_projects", _ref("token_id"), _ref("project_id"),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], ondelete="CASCADE",
                                name=op.f("fk_api_token_projects_token_id_api_tokens")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_api_token_projects_project_id_projects")),
        sa.PrimaryKeyConstraint("token_id", "project_id", name=op.f("pk_api_token_projects")),
    )
    op.create_index(op.f("ix_api_token_projects_project_id"), "api_token_projects", ["project_id"])


def _plates() -> None:
    op.create_table(
        "plates", _id(), _ref("site_id"), _ref("project_id"), _str("name", 255),
        _str("state", 24), _check("state", "plate_state", PLATE_STATES),
        sa.Column("state_reason", sa.Text(), nullable=True, comment="Why the plate is in a terminal state"),
        _int("attempt"),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False, comment="Declared size"),
        _str("sha256", 64, nullable=True, comment="Declared SHA-256, hex"),
        sa.Column("sha256_verified", sa.Boolean(), nullable=False),
        _str("source_key", 1024), _str("source_etag", 200, True), _str("output_prefix", 1024),
        _str("job_name", 63, True),
        _ts("created_at"), _ts("updated_at"), _ts("uploaded_at", True), _ts("started_at", True),
        _ts("finished_at", True),
        _fk("plates", "site_id", "sites"), _fk("plates", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plates")),
    )
    op.create_index(op.f("ix_plates_project_id_state"), "plates", ["project_id", "state"])
    op.create_index(op.f("ix_plates_site_id_created_at_id"), "plates", ["site_id", "created_at", "id"])


def _cuts() -> None:
    op.create_table(
        "cuts", _id(), _ref("plate_id"), _int("index"), _str("name", 255),
        _int("first_frame"), _int("last_frame"), _int("frame_count"), _int("head_in"), _int("head_out"),
        _str("start_time", 64), _str("duration", 64),
        _str("source_tc_in", 16, True), _str("source_tc_out", 16, True),
        _str("record_tc_in", 16), _str("record_tc_out", 16), _str("boundary_in", 16),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("is_black", sa.Boolean(), nullable=False),
        _str("detected_by", 16), _str("name_from", 16), _str("source_tc_from", 16),
        _str("transition_kind", 16, True), _int("transition_first_frame", True),
        _int("transition_last_frame", True), _int("transition_edit_frame", True),
        sa.Column("transition_confidence", sa.Double(), nullable=True),
        _str("media_key", 1024, True), _str("media_sha256", 64, True), _int("media_size", True, big=True),
        _int("media_frames", True),
        _str("thumbnail_key", 1024, True), _str("thumbnail_sha256", 64, True),
        _int("thumbnail_size", True, big=True),
        _ts("created_at"),
        _fk("cuts", "plate_id", "plates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cuts")),
        sa.UniqueConstraint("plate_id", "index", name=op.f("uq_cuts_plate_id_index")),
    )


def _plate_outputs() -> None:
    op.create_table(
        "plate_outputs", _id(), _ref("plate_id"),
        _str("kind", 24), _check("kind", "output_kind", ("manifest", "contact_sheet", "edl", "otio", "csv")),
        _str("key", 1024), _str("sha256", 64, True), _int("size_bytes", True, big=True), _ts("created_at"),
        _fk("plate_outputs", "plate_id", "plates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_outputs")),
        sa.UniqueConstraint("plate_id", "kind", name=op.f("uq_plate_outputs_plate_id_kind")),
    )


def _uploads() -> None:
    op.create_table(
        "uploads", _id(), _ref("plate_id"),
        _str("kind", 24), _check("kind", "upload_kind", ("single", "multipart")),
        _str("multipart_upload_id", 1024, True),
        _int("part_size", big=True), _int("part_count"),
        _str("state", 24), _check("state", "upload_state", ("pending", "completed", "aborted")),
        _ts("created_at"), _ts("expires_at"), _ts("completed_at", True),
        _fk("uploads", "plate_id", "plates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
        sa.UniqueConstraint("plate_id", name=op.f("uq_uploads_plate_id")),
    )


def downgrade() -> None:
    for table in ("uploads", "plate_outputs", "cuts"):
        op.drop_table(table)
    op.drop_index(op.f("ix_plates_site_id_created_at_id"), table_name="plates")
    op.drop_index(op.f("ix_plates_project_id_state"), table_name="plates")
    op.drop_table("plates")
    op.drop_index(op.f("ix_api_token_projects_project_id"), table_name="api_token_projects")
    op.drop_table("api_token_projects")
    op.drop_index(op.f("ix_projects_site_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index(op.f("ix_api_tokens_site_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("sites")
