"""Bearer tokens: site isolation (404 for foreign ids), project scopes, admin token creation."""

from __future__ import annotations

import hashlib
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import ApiToken
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
