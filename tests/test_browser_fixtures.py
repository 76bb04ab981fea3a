"""The browser fixtures themselves (``tests/browser_fixtures.py``): a page that reached for another
server, or logged an error nobody expected, fails its test at teardown (run in a pytest of its own);
the live caller talks to the live server over HTTP."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported by pytest as a plugin (pytest_plugins), so that its asserts are rewritten
    from tests.api.conftest import Caller
    from tests.browser_fixtures import LiveServer

pytest_plugins = ["pytester", "tests.browser_fixtures"]

ROOT = Path(__file__).resolve().parents[1]

TESTS = '''
import pytest

pytest_plugins = ["tests.browser_fixtures"]


def test_fetches_a_cdn(page):
    page.goto("/healthz")
    page.evaluate("fetch('https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js').catch(() => 0)")


def test_logs_an_error(page):
    page.goto("/healthz")
    page.evaluate("console.error('something broke')")


@pytest.mark.console_errors("something broke")
def test_logs_an_expected_error(page):
    page.goto("/healthz")
    page.evaluate("console.error('something broke')")


def test_stays_on_the_server(page):
    page.goto("/healthz")
    assert page.evaluate("fetch('/openapi.json').then(answer => answer.status)") == 200
'''


@pytest.mark.slow
def test_a_page_that_reaches_out_or_logs_an_error_fails_its_test(pytester: pytest.Pytester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(test_pages=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W",
                                           "ignore::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_fetches_a_cdn*",
        "requests to another server than http://127.0.0.1:*",
        "  GET https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js (fetch)",
    ])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_logs_an_error*", "console errors:",
                                 "  something broke*"])
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_logs_an_expected_error*")


def test_the_live_caller_uploads_through_the_live_server(live_server: LiveServer,
                                                         live_caller: Caller) -> None:
    created = live_caller.create_plate(7, name="other.mov")
    assert created["upload"]["put"]["url"].startswith(f"{live_server.url}/api/v1/storage/")
    plate = live_caller.uploaded_plate(b"a plate")  # signed to the live server, sent over HTTP
    assert plate["state"] == "uploaded"
    assert live_server.client.get("/api/v1/plates").status_code == 401  # no token
