"""The tests of this folder run an app on the runs tests' database (``tests.api.runs_fixtures``: a
database per module, SQLite and PostgreSQL) whose launcher is an in-memory ``ScriptedLauncher``;
these fixtures stand in for ``tests/api/conftest.py``'s ``settings``, ``app`` and ``client``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from tests.api.runs_support import ScriptedLauncher


@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    return runs_settings


@pytest.fixture
def launcher() -> ScriptedLauncher:
    return ScriptedLauncher()


@pytest.fixture
def app(settings: Settings, launcher: ScriptedLauncher) -> FastAPI:
    return create_app(settings, launcher=launcher)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
