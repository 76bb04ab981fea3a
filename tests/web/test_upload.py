"""Uploading a plate from the plates page in a real Chromium (``api/web/static/upload.js``): parts
straight to the (embedded disk) storage with a progress bar, and resuming after a reload with only
the missing parts sent."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

    from tests.api.conftest import Caller
    from tests.browser_fixtures import LiveServer

pytest_plugins = ["tests.browser_fixtures"]
pytestmark = pytest.mark.slow

MiB = 1024 * 1024
PART = 5 * MiB  # the live server's part size (make_settings: min_part_size); larger plates go in parts
PART_PUT = re.compile(r"/multipart/[^/]+/parts/(\d+)")


def a_file(folder: Path, name: str, size: int) -> tuple[Path, bytes]:
    data = hashlib.sha256(name.encode()).digest() * (size // 32) + b"x" * (size % 32)
    path = folder / name
    path.write_bytes(data)
    return path, data


def sign_in(page: Page, caller: Caller) -> None:
    page.goto("/ui/sign-in")
    page.fill("#token", caller.token)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/plates")


def part_puts(page: Page) -> list[int]:
    """Numbers of the part PUTs the page sends from now on."""
    numbers: list[int] = []

    def seen(request: Request) -> None:
        found = PART_PUT.search(request.url)
        if request.method == "PUT" and found:
            numbers.append(int(found.group(1)))

    page.on("request", seen)
    return numbers


def stored_bytes(live_server: LiveServer, plate: dict[str, Any]) -> bytes:
    return (live_server.app.state.settings.storage_dir() / "objects" / plate["source_key"]).read_bytes()


def uploaded_plate(page: Page, caller: Caller, live_server: LiveServer) -> dict[str, Any]:
    row = page.locator("#plates tbody tr[data-plate]").first
    plate_id = row.get_attribute("data-plate")
    response = caller.get(f"/api/v1/plates/{plate_id}")
    assert response.status_code == 200, response.text
    plate: dict[str, Any] = response.json()
    return plate


def test_a_plate_uploads_in_parts_with_its_progress(page: Page, live_caller: Caller, live_server: LiveServer,
                                                    tmp_path: Path) -> None:
    path, data = a_file(tmp_path, "ep101_r1_v01.mov", 3 * PART + 12345)  # 4 parts
    sign_in(page, live_caller)
    sent = part_puts(page)
    page.select_option("#upload select[name=project]", "proj")
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button.start")

    page.wait_for_selector("#notice.info", timeout=60_000)
    assert "is uploaded" in page.text_content("#notice")
    assert page.eval_on_selector("#upload progress", "bar => bar.value") == 100
    assert "100%" in page.text_content("#upload .progress-text")
    assert sorted(sent) == [1, 2, 3, 4]
    plate = uploaded_plate(page, live_caller, live_server)
    assert plate["name"] == path.name
    assert plate["state"] in {"uploaded", "queued"}
    assert page.text_content(f'tr[data-plate="{plate["id"]}"] td.state') in {"uploaded", "queued"}
    assert hashlib.sha256(stored_bytes(live_server, plate)).hexdigest() == hashlib.sha256(data).hexdigest()
    assert page.evaluate("localStorage.getItem('platecut.uploads')") == "[]"


@pytest.mark.console_errors()  # the parts refused on purpose are logged as failed loads
def test_an_interrupted_upload_resumes_after_a_reload_with_the_missing_parts(
        page: Page, live_caller: Caller, live_server: LiveServer, tmp_path: Path) -> None:
    path, data = a_file(tmp_path, "ep101_r2_v03.mov", 5 * PART + 777)  # 6 parts
    sign_in(page, live_caller)
    first = part_puts(page)

    def refuse_late_parts(route: Route) -> None:
        found = PART_PUT.search(route.request.url)
        if found and int(found.group(1)) > 3:
            route.abort()
        else:
            route.fallback()

    page.route("**/multipart/**", refuse_late_parts)
    page.select_option("#upload select[name=project]", "proj")
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button.start")
    page.wait_for_selector("#notice.error", timeout=60_000)
    assert "stopped" in page.text_content("#notice")
    assert {1, 2, 3} <= set(first)
    page.unroute("**/multipart/**")

    page.reload()
    again = part_puts(page)
    page.set_input_files("#upload input[type=file]", str(path))
    resume = page.locator("#upload button.resume")
    resume.wait_for(state="visible")
    percent = 3 * PART * 100 // len(data)
    assert resume.text_content() == f"Resume upload of {path.name} ({percent}% done)"
    resume.click()

    page.wait_for_selector("#notice.info", timeout=60_000)
    assert sorted(again) == [4, 5, 6]  # only what the storage did not hold
    assert page.eval_on_selector("#upload progress", "bar => bar.value") == 100
    plate = uploaded_plate(page, live_caller, live_server)
    assert plate["name"] == path.name
    assert plate["state"] in {"uploaded", "queued"}
    assert stored_bytes(live_server, plate) == data


def test_a_refused_plate_says_why_and_keeps_nothing(page: Page, live_caller: Caller, tmp_path: Path) -> None:
    path, _ = a_file(tmp_path, "small.mov", 1000)
    sign_in(page, live_caller)
    page.select_option("#upload select[name=project]", "proj")
    page.fill("#upload input[name=reel]", "r1")  # a reel without its version
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button.start")
    assert page.text_content("#notice") == "Give both a reel and a version, or neither."
    assert page.evaluate("localStorage.getItem('platecut.uploads')") is None
