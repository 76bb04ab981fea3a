"""The plate page end to end on the embedded default, in Chromium: sign in, a generated plate split by
the real job, scrub to a boundary, split a cut, merge two, rename one, publish; the published EDL and
the API's cut list change exactly as done. A stale edit and another site's token are refused."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from api.app import create_app
from api.auth.models import WebSession
from api.config import environment_names
from api.corrections.service import record_manifest
from api.cuts.ingest import ingest_manifest
from api.db.base import utcnow
from api.db.migrate import upgrade
from api.db.unit_of_work import unit_of_work
from api.plates.models import Plate, PlateState
from jobs import synth
from tests.api.conftest import Caller, Callers, make_settings
from tests.api.test_reel_changes_api import manifest
from tests.demo_truth import cut_names
from tests.support.uvicorn_thread import loopback_socket, serving_in_thread, url_of
from tests.support.wait import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_fixtures import LiveServer, Screenshot

pytest_plugins = ["tests.browser_fixtures"]
pytestmark = pytest.mark.slow
JOB_TIMEOUT = 180.0  # seconds for a split or publish job of the demo plate on a loaded machine
FINAL = {"succeeded", "failed", "rejected", "cancelled"}
SINGLE_PUT_MAX = 64 * 2**20  # the demo plate goes up in one PUT


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The embedded default as ``platecut serve`` runs it: SQLite, disk storage, jobs as local
    subprocesses (the real job program), the reconcile in-process."""
    root = tmp_path_factory.mktemp("embedded")
    database = f"sqlite:///{root / 'platecut.db'}"
    upgrade(database)
    sock = loopback_socket()
    with pytest.MonkeyPatch.context() as env:
        for name in environment_names():
            env.delenv(name, raising=False)
        settings = make_settings(database, root / "data", public_url=url_of(sock), launcher="local",
                                 reconcile_seconds=0.3, single_put_max=SINGLE_PUT_MAX)
    app = create_app(settings)
    from tests.browser_fixtures import LiveServer  # a plugin of this module: imported once registered
    with serving_in_thread(app, sock) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield LiveServer(url, app, client, Callers(client, app.state.session_factory))


@pytest.fixture(scope="module")
def demo_plate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, int]]]:
    """The demo plate and its truth: each cut's name and first frame."""
    path = tmp_path_factory.mktemp("plate") / "ep101_r1_v07.mov"
    spec = synth.demo_spec()
    truth = synth.make_plate(spec, path)
    return path, list(zip(cut_names(spec), [0, *truth.cut_starts], strict=True))


def wait_state(caller: Caller, plate_id: str, timeout: float = JOB_TIMEOUT) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plate: dict[str, Any] = caller.get(f"/api/v1/plates/{plate_id}").json()
        if plate["state"] in FINAL:
            return plate
        time.sleep(0.3)
    raise AssertionError(f"plate {plate_id} still {plate['state']} after {timeout} s")


def split_in_python(caller: Caller, live_server: LiveServer) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """A plate whose split "succeeded" with cuts of a manifest made here (no job, no media): for
    what the page does with cuts alone."""
    shots = [(f"SH{i:03d}0", i * 1000, 24 + i) for i in range(1, 10)]
    plate = caller.create_plate(10, name="refusals.mov")["plate"]
    made = manifest(shots)
    with unit_of_work(live_server.session_factory) as uow:
        row = uow.session.get(Plate, uuid.UUID(plate["id"]))
        assert row is not None
        ingest_manifest(uow.session, row, made)
        record_manifest(uow.session, row, made)
        row.state = PlateState.SUCCEEDED
        key = row.output_prefix + "manifest.json"
    live_server.app.state.storage.put_bytes(key, made.to_json().encode(), "application/json")
    return plate, [(cut.name, cut.first_frame) for cut in made.cuts]


def sign_in(page: Page, token: str) -> None:
    page.goto("/ui/plates")
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?next="))
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Plates")).to_be_visible()


def frame_of(page: Page) -> int:
    return int(page.locator("#frame").inner_text())


def published_names(caller: Caller, plate_id: str) -> list[tuple[str, int, int]]:
    items = caller.get(f"/api/v1/plates/{plate_id}/cuts").json()["items"]
    return [(c["name"], c["first_frame"], c["last_frame"]) for c in items]


SMALL = (32, 18)  # the picture compared between the browser's proxy frame and the plate's
VIDEO_FRAME = """async ([width, height]) => {
    const video = document.getElementById("proxy");
    while (video.readyState < 2 || video.seeking) await new Promise((done) => setTimeout(done, 20));
    const canvas = document.createElement("canvas");
    [canvas.width, canvas.height] = [width, height];
    const ctx = canvas.getContext("2d");
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    return Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data);
}"""


def plate_frame(path: Path, index: int) -> np.ndarray:
    """Plate frame ``index`` as small RGB, decoded by FFmpeg itself."""
    scale = f"select=eq(n\\,{index}),scale={SMALL[0]}:{SMALL[1]}:flags=area"
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", scale, "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(SMALL[1], SMALL[0], 3).astype(float)


def shown_frame(page: Page) -> np.ndarray:
    rgba = np.array(page.evaluate(VIDEO_FRAME, list(SMALL)), dtype=float).reshape(SMALL[1], SMALL[0], 4)
    return rgba[:, :, :3]


def closest(shown: np.ndarray, path: Path, candidates: list[int]) -> int:
    """Which of the plate's frames the browser shows (the least mean absolute difference)."""
    return min(candidates, key=lambda index: float(np.abs(plate_frame(path, index) - shown).mean()))


def save_and_wait(page: Page, key: str, version: int) -> None:
    page.keyboard.press(key)
    expect(page.locator("#notice")).to_have_text(f"Saved as version {version}.")
    expect(page.locator("#version-line")).to_contain_text(f"cut version {version}")


def test_review_correct_and_publish_a_plate(page: Page, live_caller: Caller, live_server: LiveServer,
                                            demo_plate: tuple[Path, list[tuple[str, int]]],
                                            screenshot: Screenshot) -> None:
    path, truth = demo_plate
    sign_in(page, live_caller.token)  # upload from the plates page; its state updates there live
    page.select_option("#upload select[name=project]", "proj")
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button.start")
    expect(page.locator("#notice")).to_contain_text("is uploaded", timeout=60_000)
    row = page.locator("#plates tbody tr[data-plate]").first
    plate = live_caller.get(f"/api/v1/plates/{row.get_attribute('data-plate')}").json()
    assert plate["name"] == path.name
    expect(row.locator("td.state")).to_have_text("succeeded", timeout=JOB_TIMEOUT * 1000)
    row.get_by_role("link", name=path.name).click()
    rows = page.locator("#cuts tbody tr")
    expect(rows).to_have_count(len(truth))
    frames = live_caller.get(f"/api/v1/plates/{plate['id']}/cut-versions/1").json()["frame_count"]

    # scrub: the third cut's boundary from its table row, then frame by frame with the keyboard
    rows.nth(2).click()
    name, start = truth[2]
    assert frame_of(page) == start
    expect(page.locator("#cut-name")).to_have_text(f"3 {name}")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert frame_of(page) == start + 5
    page.keyboard.press("ArrowLeft")
    assert frame_of(page) == start + 4

    # the proxy shows exactly the frame the readout names, either side of a boundary
    expect(page.locator("#proxy")).to_be_visible()
    for frame in (start - 1, start, start + 1):
        page.evaluate("(frame) => window.platecut.seek(frame)", frame)
        assert closest(shown_frame(page), path, [start - 2, start - 1, start, start + 1]) == frame
    expect(page.locator("#triptych figure")).to_have_count(3)
    page.evaluate("(frame) => window.platecut.seek(frame)", start + 4)
    screenshot(page, "plate-page", full_page=True)

    # split the third cut 4 frames in: version 2; merge the sixth cut (now the seventh) into the one
    # before: version 3; rename the first: version 4
    save_and_wait(page, "s", 2)
    expect(rows).to_have_count(len(truth) + 1)
    rows.nth(6).click()
    save_and_wait(page, "m", 3)
    expect(rows).to_have_count(len(truth))
    rows.nth(0).locator("td.name").dblclick()
    page.get_by_label("New name").fill("SH005_0010")
    page.get_by_label("New name").press("Enter")
    expect(page.locator("#notice")).to_have_text("Saved as version 4.")

    expected = [("SH005_0010", truth[0][1]), truth[1], truth[2], (f"{name}_2", start + 4), truth[3], truth[4],
                truth[6], truth[7], truth[8]]
    ends = [s - 1 for _, s in expected[1:]] + [frames - 1]
    assert published_names(live_caller, plate["id"]) == [(n, s, e) for (n, s), e in zip(
        truth, [s - 1 for _, s in truth[1:]] + [frames - 1], strict=True)]  # nothing published yet

    page.get_by_role("button", name="Publish version").click()
    expect(page.locator("#notice")).to_contain_text("Publishing version 4")
    assert wait_state(live_caller, plate["id"])["state"] == "succeeded"
    expect(page.locator("#notice")).to_have_text("Published.", timeout=15_000)
    wanted = [(n, s, e) for (n, s), e in zip(expected, ends, strict=True)]
    wait_until(lambda: published_names(live_caller, plate["id"]) == wanted, timeout=15,
               what="the published cut list")
    published = published_names(live_caller, plate["id"])
    assert published == wanted
    edl = httpx.get(live_caller.get(f"/api/v1/plates/{plate['id']}/edl?redirect=false").json()["url"]).text
    assert re.findall(r"^\* COMMENT: (\S+)$", edl, re.MULTILINE) == [n for n, _ in expected]
    versions = live_caller.get(f"/api/v1/plates/{plate['id']}/cut-versions").json()
    assert (versions["latest"], versions["published"]) == (4, 4)


# the refusals the test provokes; the cuts made here have no thumbnail files
@pytest.mark.console_errors(r"status of (422|409|401) ", r"status of 404 .*/thumbnails/")
def test_edits_that_cannot_apply_and_a_stale_edit_are_refused_clearly(
        page: Page, live_caller: Caller, live_server: LiveServer,
        ) -> None:
    plate, truth = split_in_python(live_caller, live_server)
    sign_in(page, live_caller.token)
    page.goto(f"/ui/plates/{plate['id']}")
    rows, notice = page.locator("#cuts tbody tr"), page.locator("#notice")
    expect(rows).to_have_count(len(truth))

    rows.nth(2).click()  # J/K/L: play on, stop, play back
    page.keyboard.press("l")
    wait_until(lambda: frame_of(page) >= truth[2][1] + 3, timeout=5, what="L to play on")
    page.keyboard.press("k")
    stopped = frame_of(page)
    page.wait_for_timeout(200)
    assert frame_of(page) == stopped
    page.keyboard.press("j")
    wait_until(lambda: frame_of(page) <= stopped - 3, timeout=5, what="J to play back")
    page.keyboard.press("k")

    rows.nth(1).click()  # on the second cut's first frame: a boundary
    page.keyboard.press("s")
    expect(notice).to_contain_text(f"Frame {truth[1][1]} already starts cut 2")
    rows.nth(0).click()
    page.keyboard.press("m")
    expect(notice).to_have_text("The first cut has no cut before it to merge into.")
    for name, message in (("  ", "A cut's name cannot be empty."),
                          (truth[2][0], f"Another cut is already named '{truth[2][0]}'.")):
        rows.nth(1).locator("td.name").dblclick()
        page.get_by_label("New name").fill(name)
        page.get_by_label("New name").press("Enter")
        expect(notice).to_have_text(message)
        page.get_by_label("New name").press("Escape")
    assert len(live_caller.get(f"/api/v1/plates/{plate['id']}/cut-versions").json()["items"]) == 1

    other = live_caller.post(f"/api/v1/plates/{plate['id']}/cut-versions",
                             json={"base_version": 1, "edits": [{"op": "merge", "order": 2}]})
    assert other.status_code == 201  # someone else saved version 2 meanwhile
    rows.nth(3).click()
    page.keyboard.press("m")
    expect(notice).to_contain_text("Version 1 is no longer the latest")
    expect(notice).to_contain_text("Reload the page")
    assert len(live_caller.get(f"/api/v1/plates/{plate['id']}/cut-versions").json()["items"]) == 2

    with live_server.session_factory() as db:  # the session expires: the next edit signs in again
        db.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("s")
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?expired=1&next="))
    expect(page.get_by_role("alert")).to_have_text("Your session has expired: sign in again.")


@pytest.mark.console_errors(r"status of 404 ")
def test_another_sites_session_cannot_open_the_plate(page: Page, live_caller: Caller,
                                                    live_server: LiveServer) -> None:
    plate = live_caller.create_plate(10)["plate"]
    stranger = live_server.callers("elsewhere")
    sign_in(page, stranger.token)
    answer = page.goto(f"/ui/plates/{plate['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("alert")).to_have_text(f"No plate {plate['id']}.")
