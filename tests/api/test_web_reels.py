"""The reel pages through a signed-in session (SQLite): the token's reels, a reel's versions and the
cut changes between two of them exactly as the JSON API reports them, and the refusals as pages."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import Caller, Callers
from tests.api.test_reel_changes_api import V1, V2, split_version
from tests.api.test_web_sessions import sign_in

ROW = re.compile(r'<tr data-name="([^"]+)" data-category="([^"]+)"[^>]*>(.*?)</tr>', re.DOTALL)


def page_rows(html: str) -> list[tuple[str, str, bool]]:
    """Each report row of the page: shot name, category, reordered."""
    return [(unescape(name), category, 'class="reordered"' in body)
            for name, category, body in ROW.findall(html)]


def test_the_reels_page_lists_the_tokens_reels(caller: Caller, client: TestClient, db: Session) -> None:
    split_version(caller, db, "ep201_r1_v01.mov", V1)
    latest = split_version(caller, db, "ep201_r1_v02.mov", V2)
    sign_in(client, caller.token)
    page = client.get("/ui/reels")
    assert page.status_code == 200
    row = re.search(r'<tr data-reel="proj/ep201_r1">(.*?)</tr>', page.text, re.DOTALL)
    assert row, page.text
    assert 'href="/ui/reels/proj/ep201_r1"' in row.group(1) and "<td>2</td>" in row.group(1)
    assert f'href="/ui/plates/{latest}">v02</a>' in row.group(1)
    assert 'href="/ui/reels"' in page.text  # in the header's nav
    assert 'href="/ui/reels/proj/ep201_r1">ep201_r1</a>' in client.get("/ui/plates").text
    assert 'href="/ui/reels/proj/ep201_r1">reel ep201_r1 v2</a>' in client.get(f"/ui/plates/{latest}").text


def test_the_reel_page_shows_the_versions_and_the_apis_report(caller: Caller, client: TestClient,
                                                             db: Session) -> None:
    v1 = split_version(caller, db, "ep202_r1_v01.mov", V1)
    v2 = split_version(caller, db, "ep202_r1_v02.mov", V2)
    v3 = split_version(caller, db, "ep202_r1_v03.mov", V1)
    sign_in(client, caller.token)
    page = client.get("/ui/reels/proj/ep202_r1")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    versions = re.findall(r'<tr data-version="(\d+)"', page.text)
    assert versions == ["3", "2", "1"]  # newest first
    for plate_id, name in ((v1, "ep202_r1_v01.mov"), (v2, "ep202_r1_v02.mov"), (v3, "ep202_r1_v03.mov")):
        assert f'<a href="/ui/plates/{plate_id}">{name}</a>' in page.text
    # by default the previous version against the newest, as the JSON API compares them
    report = caller.get(f"/api/v1/plates/{v3}/changes?against={v2}").json()
    assert page_rows(page.text) == [(r["name"], r["category"], r["reordered"]) for r in report["items"]]
    assert re.search(r'<option value="2" selected>v02</option>.*<option value="3" selected>v03</option>',
                     page.text, re.DOTALL)
    assert f'href="/api/v1/plates/{v3}/changes.csv?against={v2}"' in page.text
    assert f'href="/api/v1/plates/{v3}/changes.png?against={v2}"' in page.text
    for category, count in report["counts"].items():
        assert re.search(rf'data-category="{category}">[^<]*<b>{count}</b>', page.text), category

    chosen = client.get("/ui/reels/proj/ep202_r1?from=1&to=2")
    expected = caller.get(f"/api/v1/plates/{v2}/changes?against={v1}").json()["items"]
    assert page_rows(chosen.text) == [(r["name"], r["category"], r["reordered"]) for r in expected]
    assert {c for _, c, _ in page_rows(chosen.text)} == {
        "unchanged", "cut_change", "rescan", "omitted", "new", "repeated"}
    changed_only = client.get("/ui/reels/proj/ep202_r1?from=1&to=2&changed=1")
    assert page_rows(changed_only.text) == [(r["name"], r["category"], r["reordered"]) for r in expected
                                            if r["category"] != "unchanged" or r["reordered"]]
    backwards = client.get("/ui/reels/proj/ep202_r1?from=3&to=1")  # any two versions, either way
    expected = caller.get(f"/api/v1/plates/{v1}/changes?against={v3}").json()["items"]
    assert page_rows(backwards.text) == [(r["name"], r["category"], r["reordered"]) for r in expected]


def test_the_same_version_twice_or_an_unknown_one_says_so(caller: Caller, client: TestClient,
                                                         db: Session) -> None:
    split_version(caller, db, "ep203_r1_v01.mov", V1)
    split_version(caller, db, "ep203_r1_v02.mov", V2)
    split_version(caller, db, "ep203_r1_v03.mov", None)  # its cuts are not there yet
    sign_in(client, caller.token)
    same = client.get("/ui/reels/proj/ep203_r1?from=2&to=2")
    assert same.status_code == 200 and not page_rows(same.text)
    assert "From and to are the same version (v02): choose two different versions" in unescape(same.text)
    unknown = client.get("/ui/reels/proj/ep203_r1?from=9&to=2")
    assert "Reel ep203_r1 has no version 9." in unescape(unknown.text) and not page_rows(unknown.text)
    waiting = client.get("/ui/reels/proj/ep203_r1")  # v03 against v02: v03 has no cuts yet
    assert "awaiting_upload: it has no cuts to compare yet" in waiting.text and not page_rows(waiting.text)
    assert page_rows(client.get("/ui/reels/proj/ep203_r1?from=1&to=2").text)


def test_an_unknown_reel_or_project_is_a_404_page(caller: Caller, client: TestClient, db: Session) -> None:
    split_version(caller, db, "ep204_r1_v01.mov", V1)
    sign_in(client, caller.token)
    for path, detail in (("/ui/reels/proj/ep999_r9", "Project 'proj' has no reel 'ep999_r9'."),
                         ("/ui/reels/nope/ep204_r1", "No project 'nope'.")):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert detail in unescape(missing.text)
    single = client.get("/ui/reels/proj/ep204_r1")
    assert single.status_code == 200 and "has one version only" in single.text


def test_another_sites_session_sees_no_reel(caller: Caller, callers: Callers, client: TestClient,
                                           db: Session) -> None:
    split_version(caller, db, "ep205_r1_v01.mov", V1)
    split_version(caller, db, "ep205_r1_v02.mov", V2)
    sign_in(client, callers("elsewhere").token)
    assert "ep205_r1" not in client.get("/ui/reels").text
    missing = client.get("/ui/reels/proj/ep205_r1")
    assert missing.status_code == 404 and "ep205_r1_v01.mov" not in missing.text
