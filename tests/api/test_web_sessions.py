"""Signing in to the pages with a token: the session cookie, CSRF on every change, signing out, an
expired or revoked session, and the token's scope on the JSON API through the cookie."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.auth.models import WebSession
from api.auth.sessions import COOKIE
from api.db.base import utcnow
from tests.api.conftest import Caller, Callers


def sign_in(client: TestClient, token: str, next_url: str = "/ui/plates") -> TestClient:
    form = client.get("/ui/sign-in")
    assert form.status_code == 200
    form_csrf = re.search(r'name="form_csrf" value="([^"]+)"', form.text)
    assert form_csrf
    fields = {"token": token, "form_csrf": form_csrf.group(1), "next": next_url}
    answer = client.post("/ui/sign-in", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == next_url
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and cookie.startswith(f"{COOKIE}=")
    return client


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/ui/plates").text)
    assert found
    return found.group(1)


def test_a_page_without_a_session_goes_to_sign_in(client: TestClient) -> None:
    answer = client.get("/ui/plates?state=running", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/sign-in?next=%2Fui%2Fplates%3Fstate%3Drunning"


def test_sign_in_shows_the_tokens_plates_and_the_api_answers_the_cookie(caller: Caller,
                                                                        client: TestClient) -> None:
    plate = caller.uploaded_plate(b"frames", name="ep101_r1_v07.mov")
    sign_in(client, caller.token)
    page = client.get("/ui/plates")
    assert page.status_code == 200 and "ep101_r1_v07.mov" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert client.get(f"/api/v1/plates/{plate['id']}").json()["name"] == "ep101_r1_v07.mov"
    assert client.get(f"/ui/plates/{plate['id']}").status_code == 200


def test_changes_through_the_cookie_need_the_csrf_token(caller: Caller, client: TestClient) -> None:
    plate = caller.create_plate(10)["plate"]
    sign_in(client, caller.token)
    refused = client.post(f"/api/v1/plates/{plate['id']}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
    wrong = client.post(f"/api/v1/plates/{plate['id']}/cancel", headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    done = client.post(f"/api/v1/plates/{plate['id']}/cancel", headers={"X-CSRF-Token": csrf_of(client)})
    assert (done.status_code, done.json()["state"]) == (200, "cancelled")


def test_a_wrong_token_or_a_stale_form_signs_nobody_in(client: TestClient, caller: Caller) -> None:
    form = client.get("/ui/sign-in")
    form_csrf = re.search(r'name="form_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    wrong = client.post("/ui/sign-in", data={"token": "pct_nope", "form_csrf": form_csrf})
    assert wrong.status_code == 401 and "not valid" in wrong.text and COOKIE not in client.cookies
    stale = client.post("/ui/sign-in", data={"token": caller.token, "form_csrf": "forged"})
    assert stale.status_code == 403 and COOKIE not in client.cookies


def test_sign_out_ends_the_session(caller: Caller, client: TestClient) -> None:
    sign_in(client, caller.token)
    secret = client.cookies[COOKIE]
    out = client.post("/ui/sign-out", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/ui/sign-in")
    client.cookies.set(COOKIE, secret)  # a copy of the old cookie is worth nothing now
    assert client.get("/api/v1/plates").json()["code"] == "session_expired"


def test_an_expired_session_says_so(caller: Caller, client: TestClient, db: Session) -> None:
    sign_in(client, caller.token)
    db.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    page = client.get("/ui/plates", follow_redirects=False)
    assert page.headers["location"].endswith("&expired=1")
    assert "Your session has expired" in client.get(page.headers["location"]).text
    answer = client.get("/api/v1/plates")
    assert (answer.status_code, answer.json()["code"]) == (401, "session_expired")


def test_a_second_sites_session_sees_nothing_of_the_first(caller: Caller, callers: Callers,
                                                         client: TestClient) -> None:
    plate = caller.uploaded_plate(b"frames", name="secret_plate.mov")
    sign_in(client, callers("elsewhere").token)
    assert "secret_plate.mov" not in client.get("/ui/plates").text
    missing = client.get(f"/ui/plates/{plate['id']}")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert f"No plate {plate['id']}." in missing.text
    assert client.get(f"/api/v1/plates/{plate['id']}/cut-versions").status_code == 404


def test_sign_in_never_redirects_off_the_server(caller: Caller, client: TestClient) -> None:
    sign_in(client, caller.token, next_url="/ui/plates")
    form = client.get("/ui/sign-in?next=//evil.example/x").text
    assert 'name="next" value="/ui/plates"' in form


def test_the_plates_page_filters_by_reel_in_the_query(caller: Caller, client: TestClient) -> None:
    caller.uploaded_plate(b"one", name="ep101_r1_v07.mov")
    caller.uploaded_plate(b"two", name="ep101_r2_v03.mov")
    sign_in(client, caller.token)
    page = client.get("/ui/plates?reel=ep101_r2").text
    assert "ep101_r2_v03.mov" in page and "ep101_r1_v07.mov" not in page
