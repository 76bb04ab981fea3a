"""Schemathesis against the API's own OpenAPI document: no generated input gets a 5xx, and every
answer is one the document describes (status code, content type, body schema, headers).

The app runs on SQLite with DiskStorage in a tmp folder. Each case carries a bearer token of a
site with projects ``proj`` and ``other``, so generated requests get past authentication to the
handlers; ``test_no_token_is_401`` sends cases of every authenticated operation without one.
Generated plate ids mostly name real plates of the site (see ``plates``), so the handlers past
the 404 run too. The disk storage's byte routes (/api/v1/storage/) are tested as well, but only
as far as their refusals go: their signature is in query parameters the document does not
declare, so every generated request is a 403 (or a 400/404 for a malformed key or upload id).

Generation is deterministic (a fixed seed, no example database), so CI reruns the same cases.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation

from api.app import create_app
from api.auth.service import create_token
from api.cuts.ingest import ingest_manifest
from api.db.unit_of_work import unit_of_work
from api.plates.models import Plate, PlateState
from tests.api.conftest import SINGLE_PUT_MAX, Caller, make_settings
from tests.api.test_cuts import manifest

BASE_URL = "http://testserver"  # the public_url of make_settings: presigned URLs point back here
MAX_EXAMPLES = 25  # per operation, for the fuzzing phase (the coverage phase adds its boundary cases)

# Every check of a response against the document (status code, content type, headers, body
# schema), those of requests missing a required header or using an undocumented method, and that
# schema-invalid data is refused (bodies are strict: `{"admin": 0}` or `{"size": "5"}` is a 422; a body
# over PLATECUT_MAX_REQUEST_BODY is a 413, which counts as refused).
# Left out:
# - positive_data_acceptance: the document cannot say which schema-valid values the server must
#   accept: a pagination cursor is opaque (a made-up one is a 400), slugs and file names have
#   validators JSON Schema does not express (422).
# - allow_header_conformance: on a path served by several routes (GET and POST /api/v1/projects),
#   a 405's `Allow` names only the first route's methods: FastAPI/Starlette routing, not ours.
# - ignored_auth: its probe requests go through the schema's own transport, which knows no app
#   when the app is passed per call (a TypeError); test_no_token_is_401 checks the same thing.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.negative_data_rejection,
]
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


def _openapi() -> dict[str, Any]:
    """The document, from an app that serves no request (each test builds its own)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_settings("sqlite://", Path(tmp), storage="disk"))
        document: dict[str, Any] = app.openapi()
        app.state.engine.dispose()
    return document


DOCUMENT = _openapi()
CONFIG = schemathesis.Config.from_dict({
    "base-url": BASE_URL,
    "seed": 20240601,
    # the app and token fixtures serve every case of an operation: nothing to reset between them
    "suppress-health-check": ["all"],
    "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   # the token is added to every call; generated (or left out) ones only meet a 401
                   "with-security-parameters": False},
})
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
def api_app(sqlite_url: str, tmp_path: Path) -> FastAPI:
    return create_app(make_settings(sqlite_url, tmp_path / "data"))


@pytest.fixture
def token(api_app: FastAPI) -> str:
    """A site-wide admin token of a new site (its own projects, plates and tokens), which has
    projects proj and other."""
    site = f"schemathesis-{uuid.uuid4().hex[:8]}"
    with unit_of_work(api_app.state.session_factory) as uow:
        create_token(uow.session, site, ("proj", "other"))  # makes the projects
        return create_token(uow.session, site, admin=True).token


@pytest.fixture
def plates(api_app: FastAPI, token: str) -> list[str]:
    """Plates of the token's site, one in each kind of state: awaiting a single PUT, awaiting
    parts, and uploaded with its cuts and outputs ingested."""
    with TestClient(api_app) as client:
        caller = Caller(client, token, "", ())
        single = caller.create_plate(100)["plate"]["id"]
        parts = caller.create_plate(SINGLE_PUT_MAX + 1, name="parts.mov")["plate"]["id"]
        done = caller.uploaded_plate(b"m" * 100, name="done.mov")["id"]
    with api_app.state.session_factory() as session:
        plate = session.get(Plate, uuid.UUID(done))
        assert plate is not None
        ingest_manifest(session, plate, manifest())
        plate.state = PlateState.SUCCEEDED
        session.commit()
    return [single, parts, done]


def _aim_at(case: schemathesis.Case, plates: list[str]) -> None:
    """Send most schema-valid plate ids to one of ``plates`` (random ones only find a 404), and
    cut indexes on the ingested plate (the last) mostly to its cuts 1-3."""
    params = dict(case.path_parameters or {})
    plate_id = params.get("plate_id")
    if not isinstance(plate_id, str) or (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        return
    try:
        slot = uuid.UUID(plate_id).int % (len(plates) + 1)
    except ValueError:
        return
    if slot == len(plates):  # the last slot keeps the random id: unknown plates are tested too
        return
    params["plate_id"] = plates[slot]
    if slot == len(plates) - 1 and isinstance(params.get("index"), int):
        params["index"] = params["index"] % 4 + 1  # 4: no such cut
    case.path_parameters = params


# The one-value parametrization gives every operation's test a node id of its own: with pytest
# >= 9.2, schemathesis' items otherwise all get `test_api` (pytest builds the id from the
# `originalname` schemathesis sets), which `-rA`, junit and `--lf` cannot tell apart.
@pytest.mark.parametrize("database", ["sqlite"])
@schema.parametrize()
def test_api(case: schemathesis.Case, api_app: FastAPI, token: str, plates: list[str],
             database: str) -> None:
    _aim_at(case, plates)
    case.call_and_validate(app=api_app, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"},
                           checks=CHECKS)


AUTHENTICATED = [schema[path][method] for path, item in DOCUMENT["paths"].items()
                 for method, operation in item.items() if operation.get("security")]


@pytest.mark.parametrize("operation", AUTHENTICATED, ids=lambda operation: operation.label)
def test_no_token_is_401(operation: schemathesis.APIOperation, api_app: FastAPI) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=5, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = headers
        response = case.call(app=api_app, base_url=BASE_URL)
        assert response.status_code == 401, response.text
        assert response.json()["code"] in ("missing_token", "invalid_token")

    run()
