"""Publishing to a tracker the site has not configured: a clear 404, whatever the plate."""

from __future__ import annotations

from tests.api.conftest import Caller


def test_a_site_without_kitsu_says_so(caller: Caller) -> None:
    plate = caller.uploaded_plate(b"frames")
    answer = caller.post(f"/api/v1/plates/{plate['id']}/publish/kitsu")
    assert answer.status_code == 404
    assert answer.json()["code"] == "tracker_not_configured"
    assert "PLATECUT_KITSU_URL" in answer.json()["detail"]
