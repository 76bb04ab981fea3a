"""The reel page in Chromium: a reel of two versions whose manifests are built here (one shot trimmed,
one new, one omitted), each cut's thumbnail a flat JPEG of its shot's colour in the disk storage; the
report's rows and their old and new thumbnails side by side, loaded through the thumbnail route."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.api.test_reel_changes_api import split_version, store_thumbnails

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.api.conftest import Caller
    from tests.browser_fixtures import LiveServer, Screenshot

pytest_plugins = ["tests.browser_fixtures"]
pytestmark = pytest.mark.slow

# shot name, first source frame, length: B loses 4 frames at its head, C is gone, G is new
FIRST = [("A", 1000, 48), ("B", 2000, 48), ("C", 3000, 48), ("D", 4000, 48)]
SECOND = [("A", 1000, 48), ("B", 2004, 44), ("D", 4000, 48), ("G", 7000, 24)]


def test_the_reel_page_compares_two_versions_with_their_thumbnails(
        page: Page, live_caller: Caller, live_server: LiveServer, screenshot: Screenshot) -> None:
    with live_server.session_factory() as db:
        v1 = split_version(live_caller, db, "ep301_r1_v01.mov", FIRST)
        v2 = split_version(live_caller, db, "ep301_r1_v02.mov", SECOND)
        for plate_id in (v1, v2):
            store_thumbnails(live_server.app, db, plate_id)
    report = live_caller.get(f"/api/v1/plates/{v2}/changes").json()

    page.goto("/ui/reels/proj/ep301_r1")  # signs in first, then back to the reel
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?next="))
    page.get_by_label("API token").fill(live_caller.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Reel ep301_r1")).to_be_visible()

    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator("#versions tbody tr").first).to_contain_text("ep301_r1_v02.mov")
    rows = page.locator("#changes tbody tr")
    expect(rows).to_have_count(len(report["items"]))
    shown = [(r.get_attribute("data-name"), r.get_attribute("data-category")) for r in rows.all()]
    assert shown == [(r["name"], r["category"]) for r in report["items"]]
    assert dict(shown) == {"A": "unchanged", "B": "cut_change", "C": "omitted", "D": "unchanged", "G": "new"}
    expect(page.locator("#summary")).to_contain_text("cut change 1")

    def thumbnails(name: str) -> tuple[str | None, str | None]:
        row = page.locator(f'#changes tr[data-name="{name}"]')
        before, after = row.locator("td.thumb-old img"), row.locator("td.thumb-new img")
        return (before.get_attribute("src") if before.count() else None,
                after.get_attribute("src") if after.count() else None)

    old, new = f"/api/v1/plates/{v1}/cuts", f"/api/v1/plates/{v2}/cuts"
    assert thumbnails("B") == (f"{old}/2/thumbnail", f"{new}/2/thumbnail")
    assert thumbnails("C") == (f"{old}/3/thumbnail", None)
    assert thumbnails("G") == (None, f"{new}/4/thumbnail")
    b_row = page.locator('#changes tr[data-name="B"]')
    expect(b_row).to_contain_text("2004–2048")
    expect(b_row.locator("td").nth(4)).to_have_text("-4")  # the head trimmed by 4 frames
    images = page.locator("#changes img.thumb")
    expect(images).to_have_count(8)  # A, B, D on both sides, C's old, G's new
    assert {img.get_attribute("loading") for img in images.all()} == {"lazy"}
    page.wait_for_function(  # every thumbnail loaded: the route's redirect to the stored JPEG
        "() => [...document.querySelectorAll('#changes img.thumb')]"
        ".every(i => i.complete && i.naturalWidth > 0)")
    screenshot(page, "reel-page", full_page=True)

    page.get_by_label("hide unchanged").check()
    page.get_by_role("button", name="Compare").click()
    expect(rows).to_have_count(3)
    page.get_by_label("From").select_option("2")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-message")).to_contain_text("From and to are the same version (v02)")
