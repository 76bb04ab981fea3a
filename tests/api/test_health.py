"""Probes, Prometheus metrics by route template, JSON logs carrying the request id."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.db.unit_of_work import get_session
from api.integrations.storage import StorageError
from api.local_server import free_port
from api.observability.logging import JsonFormatter, configure_logging
from tests.api.conftest import Callers


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_readyz_fails_with_the_storage_and_keeps_why_to_the_log(
        app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    planted = "bucket plates-secret missing at s3.internal.example:9000"

    class Broken:
        def check(self) -> None:
            raise StorageError(planted)

    app.state.storage = Broken()
    with caplog.at_level(logging.WARNING, logger="api.health.router"):
        response = client.get("/readyz", headers={"X-Request-ID": "ready-1"})
    assert response.status_code == 503 and response.json()["code"] == "not_ready"
    assert response.json()["checks"] == {"database": "ok", "storage": "failed"}
    assert planted not in response.text and "s3.internal" not in response.text
    record = next(r for r in caplog.records if r.name == "api.health.router")
    assert planted in record.getMessage() and getattr(record, "request_id", None) == "ready-1"
    assert getattr(record, "check", None) == "storage" and record.exc_info is not None


def test_readyz_fails_with_the_database_and_keeps_why_to_the_log(
        app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    planted = "password authentication failed for user platecut-secret"

    def broken_session() -> Any:
        class Session:
            def execute(self, *_args: Any) -> None:
                raise RuntimeError(planted)
        return Session()

    app.dependency_overrides[get_session] = broken_session
    with caplog.at_level(logging.WARNING, logger="api.health.router"):
        response = client.get("/readyz", headers={"X-Request-ID": "ready-2"})
    assert response.status_code == 503 and response.json()["checks"] == {"database": "failed",
                                                                         "storage": "ok"}
    assert planted not in response.text and "RuntimeError" not in response.text
    record = next(r for r in caplog.records if r.name == "api.health.router")
    assert planted in record.getMessage() and getattr(record, "request_id", None) == "ready-2"


def test_metrics_by_route_template_on_a_port_of_their_own(settings: Settings) -> None:
    port = free_port()
    app = create_app(settings.model_copy(update={"metrics_port": port}))
    with TestClient(app) as client:
        caller = Callers(client, app.state.session_factory)()
        caller.get(f"/api/v1/plates/{uuid.uuid4()}")
        caller.get(f"/api/v1/plates/{uuid.uuid4()}")
        client.get("/no/such/path")
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        route = "/api/v1/plates/{plate_id}"
        assert f'platecut_http_requests_total{{method="GET",route="{route}",status="404"}} 2.0' in text
        assert 'platecut_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
        assert 'platecut_http_request_duration_seconds_bucket{le="0.005",method="GET",' in text
        hidden = client.get("/metrics")
        assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
        other = create_app(settings.model_copy(update={"metrics_port": port}))
        with TestClient(other) as other_client:  # a second worker: the port is taken, it serves on
            assert other_client.get("/healthz").status_code == 200
    with pytest.raises(httpx.TransportError):  # stopped with the app
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_metrics_on_the_api_port_only_when_public(settings: Settings, client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    with TestClient(create_app(settings.model_copy(update={"metrics_public": True}))) as public:
        public.get("/healthz")
        answer = public.get("/metrics")
        assert answer.status_code == 200
        assert 'platecut_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in answer.text


def test_json_logs_carry_the_request_id(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="api.access"):
        client.get("/healthz", headers={"X-Request-ID": "log-me"})
    record = next(r for r in caplog.records if r.name == "api.access")
    line: dict[str, Any] = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "log-me" and line["route"] == "/healthz" and line["status"] == 200
    assert line["level"] == "info" and "duration_ms" in line and line["message"] == "GET /healthz 200"


def test_configure_logging_is_idempotent() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_logging("INFO")
        configure_logging("INFO")
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1 and isinstance(added[0].formatter, JsonFormatter)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/v1/plates", "/api/v1/plates/{plate_id}", "/api/v1/plates/{plate_id}/upload",
                 "/api/v1/plates/{plate_id}/upload/complete", "/api/v1/plates/{plate_id}/cuts",
                 "/api/v1/plates/{plate_id}/cuts/{index}/{what}", "/api/v1/plates/{plate_id}/manifest",
                 "/api/v1/tokens", "/healthz", "/readyz"):
        assert path in paths, path
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
