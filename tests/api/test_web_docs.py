"""``/docs`` with nothing from the internet: Swagger UI's script and styles come from the app
(``api/web``), checked in a real browser that can reach nothing but the server. No ``/redoc``:
ReDoc's script always loads Redocly's logo from its CDN (``api/web/docs.py``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from api.web.assets import DOCS_ASSETS, IMMUTABLE
from tests.support.browser import Confinement
from tests.support.wait import wait_until

if TYPE_CHECKING:  # imported by pytest as a plugin (pytest_plugins), so that its asserts are rewritten
    from tests.browser_fixtures import LiveServer, Screenshot

pytest_plugins = ["tests.browser_fixtures"]


def test_the_docs_page_names_no_other_server(live_server: LiveServer) -> None:
    response = live_server.client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert not re.search(r"(https?:)?//", response.text), response.text  # every URL is the app's own
    assert f'src="{DOCS_ASSETS}/swagger-ui-bundle.js"' in response.text
    assert "url: '/openapi.json'" in response.text


def test_redoc_is_not_served(live_server: LiveServer) -> None:
    assert live_server.client.get("/redoc").status_code == 404


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"])
def test_the_docs_assets_are_served_under_their_version_for_a_year(live_server: LiveServer,
                                                                   name: str) -> None:
    response = live_server.client.get(f"{DOCS_ASSETS}/{name}")
    assert response.status_code == 200
    assert len(response.content) > 1000
    assert response.headers["cache-control"] == IMMUTABLE


def test_the_static_folder_keeps_the_defaults_and_knows_no_other_version(live_server: LiveServer) -> None:
    assert live_server.client.get("/static/docs/0.0.1/swagger-ui-bundle.js").status_code == 404
    assert live_server.client.get("/static/%2e%2e/app.py").status_code == 404
    kept = live_server.client.get("/static/.gitkeep")
    assert kept.status_code == 200 and "cache-control" not in kept.headers


def test_the_metrics_label_static_files_by_their_mount(live_server: LiveServer) -> None:
    registry = live_server.app.state.metrics.registry

    def count(route: str, status: str) -> float:
        labels = {"method": "GET", "route": route, "status": status}
        return registry.get_sample_value("platecut_http_requests_total", labels) or 0.0

    before = count(DOCS_ASSETS, "200"), count("/static", "404")
    live_server.client.get(f"{DOCS_ASSETS}/swagger-ui.css")
    live_server.client.get("/static/nothing.js")
    expected = (before[0] + 1, before[1] + 1)  # counted once the answer is sent: maybe after it arrived
    wait_until(lambda: (count(DOCS_ASSETS, "200"), count("/static", "404")) == expected, timeout=5,
               what=f"the counts {expected}")


def test_the_oauth2_redirect_page_is_served(live_server: LiveServer) -> None:
    response = live_server.client.get("/docs/oauth2-redirect")
    assert response.status_code == 200 and "oauth2" in response.text.lower()


@pytest.mark.slow
def test_swagger_ui_shows_the_operations(page: Page, screenshot: Screenshot) -> None:
    page.goto("/docs")
    expect(page).to_have_title("platecut - Swagger UI")
    create_plate = page.locator("#operations-plates-create_plate_api_v1_plates_post")
    expect(create_plate).to_be_visible()
    expect(create_plate.locator(".opblock-summary-method")).to_have_text("POST")
    expect(create_plate.locator(".opblock-summary-path")).to_have_text("/api/v1/plates")
    create_plate.locator(".opblock-summary").click()
    expect(create_plate.get_by_role("button", name="Try it out")).to_be_visible()
    screenshot(page, "api-docs")


@pytest.mark.slow
def test_the_page_reaches_nothing_but_the_server(page: Page, confinement: Confinement) -> None:
    page.goto("/healthz")
    page.evaluate("""async () => {
        await fetch("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css").catch(() => null);
        const socket = new WebSocket("wss://example.com/socket");
        await new Promise(done => { socket.onclose = done; socket.onerror = done; });
        console.error("logged by the test");
        setTimeout(() => { throw new Error("thrown by the test"); });
        await new Promise(done => setTimeout(done, 100));
    }""")
    assert confinement.blocked == [
        "GET https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css (fetch)",
        "WebSocket wss://example.com/socket"]
    assert any("logged by the test" in error for error in confinement.console_errors)
    assert confinement.page_errors == ["Error: thrown by the test"]
    report = confinement.report()
    assert "requests to another server" in report and "cdn.jsdelivr.net" in report
    assert "thrown by the test" in confinement.report(allowed_errors=("logged",))
    assert "logged by the test" not in confinement.report(allowed_errors=("logged",))
    assert "thrown by the test" not in confinement.report(allowed_errors=None)
    confinement.clear()  # what the test provoked: the page's teardown would fail on it
