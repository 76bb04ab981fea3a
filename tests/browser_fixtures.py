"""Fixtures of the browser tests: the API on the embedded default over real HTTP, and a headless
Chromium page that can reach nothing but it (``tests/support/browser.py``).

Test modules use them through ``pytest_plugins = ["tests.browser_fixtures"]``::

    def test_docs(page: Page, screenshot: Screenshot) -> None:
        page.goto("/docs")                       # relative to the live server
        expect(page.get_by_text("platecut")).to_be_visible()
        screenshot(page, "api-docs")

    def test_a_plate_page(live_server: LiveServer, live_caller: Caller, page: Page) -> None:
        plate = live_caller.create_plate(1000)   # the API over HTTP, with a token
        page.goto(f"/plates/{plate['plate']['id']}")

- ``live_server`` (session): ``create_app`` on SQLite and disk storage in a temporary folder
  (``make_settings`` of ``tests/api/conftest.py``: no launcher, no reconcile), served by uvicorn on
  a thread, at ``live_server.url``; its ``app`` (and so its database) is in this process.
- ``live_caller``: a site-wide token of a new site (projects ``proj`` and ``other``) and its
  requests to the live server: the ``Caller`` of the API tests over HTTP.
  ``live_server.callers(site, projects, admin)`` makes others.
- ``browser`` (module): headless Chromium. Module, not session: while Playwright's sync API runs,
  the test process's main thread counts as running an asyncio loop (``asyncio.run`` refuses to
  start), and that must not leak into the tests after the browser tests.
- ``page``: a page in a context of its own, confined to the live server. At teardown the test fails
  when the page tried to reach another server, or logged a console error or threw an uncaught
  error (``@pytest.mark.console_errors(*patterns)`` allows the errors a test expects; without a
  pattern, any). ``confinement`` is what was recorded, for a test that checks it.
- ``screenshot(page, name, full_page=False)``: ``docs/screenshots/NAME.png`` with
  ``PLATECUT_SCREENSHOTS=1``, else in the test's ``tmp_path``; returns the path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.config import environment_names
from api.db.engine import SessionFactory
from api.db.migrate import upgrade
from tests.api.conftest import Caller, Callers, make_settings
from tests.support.browser import CHROMIUM, Confinement, launch_chromium, save_screenshot
from tests.support.uvicorn_thread import loopback_socket, serving_in_thread, url_of

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"


class Screenshot(Protocol):
    def __call__(self, page: Page, name: str, full_page: bool = False) -> Path: ...


@dataclass
class LiveServer:
    """The app served at ``url``; ``client`` sends requests to it without a token."""

    url: str
    app: FastAPI
    client: httpx.Client
    callers: Callers  # callers(site="site", projects=(), admin=False) -> Caller, each site new

    @property
    def session_factory(self) -> SessionFactory:
        factory: SessionFactory = self.app.state.session_factory
        return factory


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("live")
    database = f"sqlite:///{root / 'platecut.db'}"
    upgrade(database)
    sock = loopback_socket()
    with pytest.MonkeyPatch.context() as env:  # the shell's PLATECUT_* settings do not leak in
        for name in environment_names():
            env.delenv(name, raising=False)
        settings = make_settings(database, root / "data", public_url=url_of(sock))
    app = create_app(settings)
    with serving_in_thread(app, sock) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield LiveServer(url, app, client, Callers(client, app.state.session_factory))


@pytest.fixture
def live_caller(live_server: LiveServer) -> Caller:
    """A site-wide token of a new site with projects ``proj`` and ``other``, over HTTP."""
    return live_server.callers()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed: `make system-deps` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def confinement(live_server: LiveServer) -> Confinement:
    return Confinement(live_server.url)


@pytest.fixture
def page(browser: Browser, confinement: Confinement, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = confinement.new_page(browser)
    try:
        yield page
    finally:
        page.context.close()  # its pending events are delivered first
    marker = request.node.get_closest_marker("console_errors")
    allowed = () if marker is None else (tuple(marker.args) or None)
    report = confinement.report(allowed)
    if report:
        pytest.fail(f"the browser page of {request.node.name}:\n{report}", pytrace=False)


@pytest.fixture
def screenshot(tmp_path: Path) -> Screenshot:
    folder = SCREENSHOTS if os.environ.get("PLATECUT_SCREENSHOTS") == "1" else tmp_path

    def take(page: Page, name: str, full_page: bool = False) -> Path:
        return save_screenshot(page, name, folder, full_page)

    return take
