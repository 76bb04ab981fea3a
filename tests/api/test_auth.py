"""Bearer tokens: site isolation (404 for foreign ids), project scopes, admin token creation."""

from __future__ import annotations

import hashlib
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.models import ApiToken
from api.config import Settings
from tests.api.conftest import Caller, Callers


def test_missing_or_bad_token_is_401(client: TestClient, caller: Caller) -> None:
    for headers in ({}, {"Authorization": "Bearer pct_not-a-token"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/plates", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["code"] in ("missing_token", "invalid_token")
    assert caller.get("/api/v1/plates").status_code == 200


def test_tokens_are_stored_hashed(caller: Caller, db: Session) -> None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(caller.token.encode())
                                           .hexdigest()))
    assert row is not None and row.prefix == caller.token[:12] and caller.token.startswith("pct_")
    assert len(caller.token) > 40
    assert db.scalar(select(ApiToken).where(ApiToken.token_hash == caller.token)) is None


def test_other_sites_get_404_for_everything(callers: Callers) -> None:
    owner, stranger = callers("owner"), callers("stranger")
    plate = owner.uploaded_plate(b"z" * 500)
    base = f"/api/v1/plates/{plate['id']}"
    for method, path in [("GET", base), ("GET", f"{base}/upload"), ("POST", f"{base}/upload/complete"),
                         ("POST", f"{base}/upload/abort"), ("POST", f"{base}/cancel"),
                         ("POST", f"{base}/retry"), ("DELETE", base), ("GET", f"{base}/cuts"),
                         ("GET", f"{base}/manifest")]:
        response = stranger.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "plate_not_found"
    assert stranger.get("/api/v1/plates").json()["items"] == []
    assert owner.get(base).json()["state"] == "uploaded"  # nothing changed


def test_project_scoped_token_sees_only_its_projects(callers: Callers) -> None:
    site_wide = callers("studio")
    scoped = callers("studio", projects=("proj",), make_projects=())
    mine = scoped.uploaded_plate(b"a" * 10, project="proj")
    theirs = site_wide.uploaded_plate(b"b" * 10, project="other")
    assert scoped.get(f"/api/v1/plates/{mine['id']}").status_code == 200
    assert scoped.get(f"/api/v1/plates/{theirs['id']}").status_code == 404
    assert [p["id"] for p in scoped.get("/api/v1/plates").json()["items"]] == [mine["id"]]
    assert scoped.get("/api/v1/plates", params={"project": "other"}).status_code == 404
    refused = scoped.post("/api/v1/plates", json={"name": "a.mov", "project": "other", "size": 1})
    assert refused.status_code == 404 and refused.json()["code"] == "project_not_found"
    assert [p["name"] for p in scoped.get("/api/v1/projects").json()["items"]] == ["proj"]
    assert {p["id"] for p in site_wide.get("/api/v1/plates").json()["items"]} == {mine["id"], theirs["id"]}


def test_admin_creates_tokens(callers: Callers, db: Session) -> None:
    admin = callers("admins", admin=True)
    response = admin.post("/api/v1/tokens", json={"name": "ingest", "projects": ["newproj"]})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["site"] == admin.site and made["projects"] == ["newproj"] and made["admin"] is False
    assert made["token"].startswith(made["prefix"])
    new = Caller(admin.client, made["token"], admin.site, ("newproj",))
    assert new.get("/api/v1/projects").json()["items"][0]["name"] == "newproj"
    row = db.get(ApiToken, uuid.UUID(made["id"]))
    assert row is not None and row.token_hash == hashlib.sha256(made["token"].encode()).hexdigest()
    assert new.post("/api/v1/tokens", json={}).json()["code"] == "admin_required"
    assert new.post("/api/v1/tokens", json={}).status_code == 403


def test_project_scoped_admin_stays_in_scope(callers: Callers) -> None:
    admin = callers("scoped-admins", projects=("proj",), admin=True)
    assert admin.post("/api/v1/tokens", json={"projects": ["proj"]}).status_code == 201
    for body in ({"projects": ["other"]}, {}):
        response = admin.post("/api/v1/tokens", json=body)
        assert response.status_code == 403 and response.json()["code"] == "scope_exceeded"


def test_projects(callers: Callers) -> None:
    admin, user = callers("projects", admin=True), callers("projects")
    assert admin.post("/api/v1/projects", json={"name": "show-1"}).status_code == 201
    assert admin.post("/api/v1/projects", json={"name": "show-1"}).json()["code"] == "project_exists"
    assert user.post("/api/v1/projects", json={"name": "show-2"}).status_code == 403
    bad = admin.post("/api/v1/projects", json={"name": "../x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_slug"
    assert [p["name"] for p in user.get("/api/v1/projects").json()["items"]] == ["other", "proj", "show-1"]


def test_admin_lists_its_sites_tokens_never_a_secret(callers: Callers) -> None:
    admin, stranger = callers("listing", admin=True), callers("listing-stranger", admin=True)
    made = admin.post("/api/v1/tokens", json={"name": "ingest", "projects": ["proj"]}).json()
    response = admin.get("/api/v1/tokens")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {item["site"] for item in items} == {admin.site}
    assert len(items) == 3  # the fixture's site-wide token, the admin's, the one made here
    ingest = next(item for item in items if item["id"] == made["id"])
    assert ingest == {key: made[key] for key in ingest} and ingest["revoked_at"] is None
    assert set(ingest) == {"id", "name", "site", "projects", "admin", "prefix", "created_at",
                           "last_used_at", "revoked_at"}
    mine = next(item for item in items if admin.token.startswith(item["prefix"]) and item["admin"])
    assert mine["last_used_at"] is not None
    for secret in (admin.token, made["token"], hashlib.sha256(admin.token.encode()).hexdigest()):
        assert secret not in response.text
    assert made["id"] not in stranger.get("/api/v1/tokens").text
    user = callers("listing", make_projects=())
    refused = user.get("/api/v1/tokens")
    assert refused.status_code == 403 and refused.json()["code"] == "admin_required"


def test_project_scoped_admin_lists_and_revokes_only_its_projects_tokens(callers: Callers) -> None:
    site_admin = callers("scoped-list", admin=True)
    scoped_admin = callers("scoped-list", projects=("proj",), admin=True, make_projects=())
    inside = site_admin.post("/api/v1/tokens", json={"projects": ["proj"]}).json()
    outside = site_admin.post("/api/v1/tokens", json={"projects": ["proj", "other"]}).json()
    listed = {item["id"] for item in scoped_admin.get("/api/v1/tokens").json()["items"]}
    assert inside["id"] in listed and outside["id"] not in listed
    assert all(item["projects"] == ["proj"] for item in scoped_admin.get("/api/v1/tokens").json()["items"])
    refused = scoped_admin.delete(f"/api/v1/tokens/{outside['id']}")
    assert refused.status_code == 404 and refused.json()["code"] == "token_not_found"
    assert scoped_admin.delete(f"/api/v1/tokens/{inside['id']}").status_code == 200


def test_a_revoked_token_is_refused_at_once(callers: Callers, db: Session) -> None:
    admin = callers("revoking", admin=True)
    made = admin.post("/api/v1/tokens", json={"name": "leaked"}).json()
    leaked = Caller(admin.client, made["token"], admin.site, ())
    assert leaked.get("/api/v1/plates").status_code == 200  # now remembered by this process
    response = admin.delete(f"/api/v1/tokens/{made['id']}")
    assert response.status_code == 200, response.text
    revoked_at = response.json()["revoked_at"]
    assert revoked_at is not None and response.json()["id"] == made["id"]
    refused = leaked.get("/api/v1/plates")
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    row = db.get(ApiToken, uuid.UUID(made["id"]))
    assert row is not None and row.revoked_at is not None
    again = admin.delete(f"/api/v1/tokens/{made['id']}")  # idempotent: the first time is kept
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked_at
    listed = {item["id"]: item for item in admin.get("/api/v1/tokens").json()["items"]}
    assert listed[made["id"]]["revoked_at"] == revoked_at


def test_revoking_needs_an_admin_of_the_tokens_site(callers: Callers) -> None:
    admin, stranger = callers("revoke-owner", admin=True), callers("revoke-stranger", admin=True)
    made = admin.post("/api/v1/tokens", json={}).json()
    user = callers("revoke-owner", make_projects=())
    for caller, status, code in ((stranger, 404, "token_not_found"), (user, 403, "admin_required")):
        response = caller.delete(f"/api/v1/tokens/{made['id']}")
        assert response.status_code == status and response.json()["code"] == code
    unknown = admin.delete(f"/api/v1/tokens/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "token_not_found"
    assert Caller(admin.client, made["token"], admin.site, ()).get("/api/v1/plates").status_code == 200


def test_another_api_process_may_accept_a_revoked_token_until_its_memory_expires(
        callers: Callers, settings: Settings) -> None:
    """What the README says: revocation reaches other processes within PLATECUT_AUTH_CACHE_SECONDS."""
    admin = callers("two-processes", admin=True)
    made = admin.post("/api/v1/tokens", json={}).json()
    headers = {"Authorization": f"Bearer {made['token']}"}
    other = create_app(settings)
    with TestClient(other) as other_client:
        assert other_client.get("/api/v1/plates", headers=headers).status_code == 200
        assert admin.delete(f"/api/v1/tokens/{made['id']}").status_code == 200
        assert other_client.get("/api/v1/plates", headers=headers).status_code == 200  # remembered
        other.state.principal_cache.ttl = 0  # its memory expired
        assert other_client.get("/api/v1/plates", headers=headers).status_code == 401
