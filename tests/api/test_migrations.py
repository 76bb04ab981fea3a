"""Migrations: up from an empty database on SQLite and PostgreSQL, down and up again, and the
ORM metadata equal to what they build (autogenerate finds nothing to do)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db.engine import make_engine
from api.db.migrate import current_heads, downgrade, upgrade
from api.models import metadata
from tests.api.conftest import PgServer

TABLES = {"sites", "projects", "api_tokens", "api_token_projects", "plates", "uploads", "cuts",
          "plate_outputs", "runs", "cut_versions", "web_sessions",
          "webhook_subscriptions", "webhook_events", "webhook_deliveries", "dropped_objects",
          "tracker_publishes"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    yield server.create_database("platecut_migrations")


def schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "target_metadata": metadata})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
            return tables, MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_url: str) -> None:
    assert tables_and_revision(empty_url) == (set(), None)
    upgrade(empty_url)
    assert tables_and_revision(empty_url) == (TABLES, current_heads()[0])
    assert schema_diff(empty_url) == []


def test_downgrade_to_base_and_up_again(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "base")
    assert tables_and_revision(empty_url) == (set(), None)
    upgrade(empty_url)
    assert schema_diff(empty_url) == []


def test_constraints_are_named(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            plates_checks = {c["name"] for c in inspector.get_check_constraints("plates")}
            foreign = {c["name"] for c in inspector.get_foreign_keys("plates")}
            indexes = {i["name"] for i in inspector.get_indexes("plates")}
            unique = {c["name"] for c in inspector.get_unique_constraints("cuts")}
            plates_unique = {c["name"] for c in inspector.get_unique_constraints("plates")}
    finally:
        engine.dispose()
    assert plates_checks == {"ck_plates_plate_state", "ck_plates_plate_kind", "ck_plates_reel_from"}
    assert foreign == {"fk_plates_site_id_sites", "fk_plates_project_id_projects"}
    reel_version = "uq_plates_project_id_reel_version"  # SQLite lists its index too
    assert indexes - {reel_version} == {"ix_plates_site_id_created_at_id", "ix_plates_project_id_state",
                                        "ix_plates_state"}
    assert plates_unique == {reel_version}
    assert unique == {"uq_cuts_plate_id_index"}


def test_one_head() -> None:
    assert len(current_heads()) == 1


def _plate_outputs_constraints(url: str) -> tuple[set[str], str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            unique = {c["name"] for c in inspector.get_unique_constraints("plate_outputs")}
            checks = [c["sqltext"] for c in inspector.get_check_constraints("plate_outputs")
                      if c["name"] == "ck_plate_outputs_output_kind"]
    finally:
        engine.dispose()
    assert len(checks) == 1
    return unique, checks[0]


def test_review_outputs_take_their_kinds_and_several_parts(empty_url: str) -> None:
    upgrade(empty_url)
    unique, kinds = _plate_outputs_constraints(empty_url)
    assert unique == {"uq_plate_outputs_plate_id_kind_part"}
    assert all(f"'{kind}'" in kinds for kind in ("manifest", "csv", "proxy", "strip", "scores"))
    downgrade(empty_url, "0005")
    unique, kinds = _plate_outputs_constraints(empty_url)
    assert unique == {"uq_plate_outputs_plate_id_kind"}
    assert "'csv'" in kinds and "'strip'" not in kinds
