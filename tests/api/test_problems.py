"""Every error is a problem document with a stable code and the request id; nothing half-changed."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.plates.models import Plate
from api.projects.models import Project
from tests.api.conftest import Caller, Callers, Response

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code and body["type"].endswith(code)
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def plate_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Plate)) or 0


def test_unknown_routes_and_methods(client: TestClient, caller: Caller) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(caller.request("PUT", "/api/v1/plates"), 405, "method_not_allowed")
    assert_problem(caller.get(f"/api/v1/plates/{uuid.uuid4()}"), 404, "plate_not_found")
    assert_problem(caller.get("/api/v1/plates/not-a-uuid"), 422, "validation_error")


def test_validation_errors(caller: Caller, db: Session) -> None:
    before = plate_count(db)
    body = assert_problem(caller.post("/api/v1/plates", json={"name": "a.mov"}), 422, "validation_error")
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("body", "project"), ("body", "size")}
    assert_problem(caller.post("/api/v1/plates", content=b"{not json", headers={
        "content-type": "application/json"}), 422, "validation_error")
    extra = {"name": "a.mov", "project": "proj", "size": 1, "source_key": "elsewhere"}
    assert_problem(caller.post("/api/v1/plates", json=extra), 422, "validation_error")
    bad_sha = {"name": "a.mov", "project": "proj", "size": 1, "sha256": "xyz"}
    assert_problem(caller.post("/api/v1/plates", json=bad_sha), 422, "validation_error")
    assert plate_count(db) == before



def test_a_body_of_many_unknown_keys_gets_a_small_422(caller: Caller, app: FastAPI, db: Session) -> None:
    before = plate_count(db)
    keys = ",".join(f'"k{n:05d}":0' for n in range(70_000))
    body = ('{"name": "a.mov", "project": "proj", "size": 1, ' + keys + "}").encode()
    assert len(body) < app.state.settings.max_request_body
    response = caller.post("/api/v1/plates", content=body, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422, "validation_error")
    assert len(response.content) < 20_000
    assert problem["error_count"] == 70_000 and len(problem["errors"]) == 50
    assert problem["errors"][0] == {"loc": ["body", "k00000"], "msg": "Extra inputs are not permitted",
                                    "type": "extra_forbidden"}
    huge_key = {"name": "a.mov", "project": "proj", "size": 1, "k" * 500_000: 0}
    short = assert_problem(caller.post("/api/v1/plates", json=huge_key), 422, "validation_error")
    assert len(short["errors"][0]["loc"][1]) < 300 and short["error_count"] == 1
    assert plate_count(db) == before


@pytest.mark.parametrize("field, value", [("size", True), ("size", "10"), ("size", 10.0), ("size", None),
                                          ("name", 7), ("project", ["proj"])])
def test_body_types_are_strict(caller: Caller, db: Session, field: str, value: Any) -> None:
    before = plate_count(db)
    body = {"name": "a.mov", "project": "proj", "size": 10, field: value}
    problem = assert_problem(caller.post("/api/v1/plates", json=body), 422, "validation_error")
    assert problem["errors"][0]["loc"] == ["body", field]
    assert plate_count(db) == before


def test_strict_bodies_everywhere_but_query_parameters_convert(callers: Callers) -> None:
    admin = callers("strict", admin=True)
    for body in ({"admin": 1}, {"admin": "true"}, {"name": 5}, {"projects": "proj"}):
        assert_problem(admin.post("/api/v1/tokens", json=body), 422, "validation_error")
    assert_problem(admin.post("/api/v1/projects", json={"name": 12}), 422, "validation_error")
    plate = admin.create_plate(10)["plate"]
    complete = f"/api/v1/plates/{plate['id']}/upload/complete"
    for parts in ([{"number": "1", "etag": "e"}], [{"number": True, "etag": "e"}],
                  [{"number": 1, "etag": 1}]):
        assert_problem(admin.post(complete, json={"parts": parts}), 422, "validation_error")
    assert admin.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "awaiting_upload"
    listed = admin.get("/api/v1/plates", params={"limit": "1", "state": "awaiting_upload"})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
    assert admin.post("/api/v1/tokens", json={"admin": False, "projects": ["proj"]}).status_code == 201

@pytest.mark.parametrize("name", ["a/b.mov", "..\\b.mov", "..", "bad\x00name.mov", "tab\there.mov",
                                  "new\nline.mov", "", " "])
def test_names_with_separators_or_control_characters(caller: Caller, db: Session, name: str) -> None:
    before = plate_count(db)
    response = caller.post("/api/v1/plates", json={"name": name, "project": "proj", "size": 10})
    code = "validation_error" if name == "" else "invalid_name"
    assert_problem(response, 422, code)
    assert plate_count(db) == before


def test_unicode_names_are_kept_but_keys_are_safe(caller: Caller) -> None:
    plate = caller.create_plate(10, name="Scène 12 — prise 3.mov")["plate"]
    assert plate["name"] == "Scène 12 — prise 3.mov"
    assert plate["source_key"].endswith("/source/Scene_12_prise_3.mov")


def test_unknown_project(caller: Caller, db: Session) -> None:
    before = plate_count(db)
    response = caller.post("/api/v1/plates", json={"name": "a.mov", "project": "nope", "size": 10})
    assert_problem(response, 404, "project_not_found")
    assert plate_count(db) == before
    assert db.scalar(select(Project).where(Project.name == "nope")) is None


def test_oversized_bodies(caller: Caller, app: FastAPI, db: Session) -> None:
    before = plate_count(db)
    limit = app.state.settings.max_request_body
    huge = b'{"name": "a.mov", "project": "proj", "size": 1, "x": "' + b"a" * limit + b'"}'
    response = caller.post("/api/v1/plates", content=huge, headers={"content-type": "application/json"})
    assert_problem(response, 413, "body_too_large")

    def chunks() -> Any:  # no Content-Length: counted while read
        yield huge[: limit // 2]
        yield huge[limit // 2:]

    streamed = caller.post("/api/v1/plates", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(streamed, 413, "body_too_large")
    assert plate_count(db) == before


def test_request_ids(client: TestClient, caller: Caller) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32
    problem = caller.get(f"/api/v1/plates/{uuid.uuid4()}", headers={"X-Request-ID": "trace-7"})
    assert problem.json()["request_id"] == "trace-7"


def test_unexpected_errors_are_500_problems(app: FastAPI, caller: Caller) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/v1/broken", broken)
    body = assert_problem(caller.get("/api/v1/broken"), 500, "internal_error")
    assert "boom" not in body["detail"]


def test_storage_failures_are_503_and_keep_why_to_the_log(app: FastAPI, caller: Caller, db: Session,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    from api.integrations.storage import StorageError

    planted = "connection refused by minio.internal.example:9000"

    class Down:
        def __getattr__(self, name: str) -> Any:
            def fail(*args: Any, **kwargs: Any) -> None:
                raise StorageError(planted)
            return fail

    before = plate_count(db)
    app.state.storage = Down()
    with caplog.at_level(logging.ERROR, logger="api.problem_handlers"):
        response = caller.post("/api/v1/plates", json={"name": "a.mov", "project": "proj",
                                                       "size": 100 * 2**20})
    body = assert_problem(response, 503, "storage_unavailable")
    assert planted not in response.text and "minio" not in response.text
    _assert_logged(caplog, "api.problem_handlers", planted, body["request_id"])
    assert plate_count(db) == before


def test_disk_storage_failures_are_503_and_keep_why_to_the_log(
        app: FastAPI, caller: Caller, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    planted = "No space left on device: '/srv/platecut-secret/objects'"

    def full(*_args: Any) -> None:
        raise OSError(28, planted)

    put = caller.create_plate(10)["upload"]["put"]
    monkeypatch.setattr(app.state.storage, "commit_object", full)
    with caplog.at_level(logging.ERROR, logger="api.integrations.disk.router"):
        response = caller.send(put, b"0123456789")
    body = assert_problem(response, 503, "storage_unavailable")
    assert "platecut-secret" not in response.text
    _assert_logged(caplog, "api.integrations.disk.router", planted, body["request_id"])


def test_launcher_failures_are_503_and_keep_why_to_the_log(
        app: FastAPI, caller: Caller, db: Session, caplog: pytest.LogCaptureFixture) -> None:
    from api.integrations.launcher import LauncherError

    planted = "Unauthorized: token for kube-apiserver.internal:6443 expired"

    class Down:
        def logs(self, *_args: Any) -> str:
            raise LauncherError(planted)

    plate = caller.uploaded_plate(b"x")
    row = db.get(Plate, uuid.UUID(plate["id"]))
    assert row is not None
    row.job_name = "platecut-job-a1"
    db.commit()
    app.state.launcher = Down()
    with caplog.at_level(logging.ERROR, logger="api.runs.service"):
        response = caller.get(f"/api/v1/plates/{plate['id']}/logs")
    body = assert_problem(response, 503, "launcher_unavailable")
    assert "kube-apiserver" not in response.text
    _assert_logged(caplog, "api.runs.service", planted, body["request_id"])


def _assert_logged(caplog: pytest.LogCaptureFixture, logger: str, text: str, request_id: str) -> None:
    record = next(r for r in caplog.records if r.name == logger)
    assert text in record.getMessage() and record.exc_info is not None
    assert getattr(record, "request_id", None) == request_id


def test_a_database_that_does_not_answer_is_a_503_to_retry(tmp_path: Any,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    from api.app import create_app
    from api.local_server import free_port
    from tests.api.conftest import make_settings

    closed_port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/nothing?connect_timeout=2"
    app = create_app(make_settings(url, tmp_path / "data"))
    with TestClient(app) as client, caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/plates", headers={"Authorization": "Bearer pct_whatever"})
    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "5"
    assert str(closed_port) not in response.text  # the why goes to the log, not to the client
    assert any(str(closed_port) in record.getMessage() for record in caplog.records)
