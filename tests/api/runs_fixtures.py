"""Fixtures of the runs tests: a database of their own per test module (SQLite and PostgreSQL).

The reconcile handles every active plate of its database, so these tests cannot share the session's
database with the other API tests (their plates, left ``queued`` or ``running``, would be reconciled
too): each module gets a fresh migrated one, and every test leaves no active plate behind.
Test modules use them through ``pytest_plugins = ["tests.api.runs_fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from api.config import Settings
from api.db.engine import make_engine
from api.db.migrate import upgrade
from api.plates.models import Plate, PlateState
from api.plates.states import ACTIVE_STATES
from tests.api.conftest import BACKENDS, PgServer, make_settings


@pytest.fixture(scope="module", params=BACKENDS)
def runs_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('runs-sqlite') / 'platecut.db'}"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.create_database("platecut_runs")
    upgrade(url)
    return url


@pytest.fixture
def runs_settings(runs_database_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings on the module's database: local launcher, no in-process reconcile (tests tick)."""
    yield make_settings(runs_database_url, tmp_path / "data", launcher="local", reconcile_seconds=0,
                        lost_grace_seconds=0.5)
    engine = make_engine(runs_database_url)
    try:
        with engine.begin() as connection:  # the next test's ticks see none of this one's plates
            connection.execute(update(Plate).where(Plate.state.in_(ACTIVE_STATES))
                               .values(state=PlateState.CANCELLED))
    finally:
        engine.dispose()
