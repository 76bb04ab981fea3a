"""Every error as a problem document: ours, validation errors, unmatched routes, storage failures."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from api.errors import Problem, problem_body
from api.integrations.storage import InvalidPart, NoSuchUpload, StorageError
from api.observability.context import current_request_id
from api.observability.logging import log_failure
from api.validation import CUSTOM_CODES

MEDIA_TYPE = "application/problem+json"
DATABASE_RETRY_AFTER = 5  # seconds: a busy or restarting database is usually back by then
log = logging.getLogger(__name__)


class ProblemDocument(BaseModel):
    """An RFC 9457 problem; ``code`` is stable (snake_case), ``detail`` is for people."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:platecut:problem:plate_not_found"])
    title: str
    status: int
    detail: str
    code: str = Field(examples=["plate_not_found"])
    request_id: str | None = Field(description="The X-Request-ID of the request")


_PROBLEM_CONTENT = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ProblemDocument, "description": "A client error", "content": _PROBLEM_CONTENT},
    "5XX": {"model": ProblemDocument, "description": "A server or storage failure",
            "content": _PROBLEM_CONTENT},
}
MAX_LISTED_ERRORS = 50  # validation errors listed in a 422 (``error_count`` counts them all)
MAX_ERROR_TEXT = 200  # characters of a listed error's message or location part
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large",
              415: "unsupported_media_type"}


def problem_response(status: int, detail: str, code: str, *, title: str | None = None,
                     extra: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body = problem_body(status, title or HTTPStatus(status).phrase, detail, code, current_request_id(), extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


PAGES_PREFIX = "/ui/"  # the browser pages: a problem there is a page (``app.state.page_problem``)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    page_problem = getattr(request.app.state, "page_problem", None)
    if page_problem is not None and request.url.path.startswith(PAGES_PREFIX):
        response: Response = page_problem(request, exc)
        return response
    return problem_response(exc.status, exc.detail, exc.code, title=exc.title, extra=exc.extra,
                            headers=exc.headers)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    """422 listing the first ``MAX_LISTED_ERRORS`` errors, each shortened, and ``error_count``: a
    body of many unknown keys (or one huge key) gets a small answer."""
    assert isinstance(exc, RequestValidationError)
    found = exc.errors()
    errors = [_listed_error(e) for e in found[:MAX_LISTED_ERRORS]]
    custom = next((e.get("type") for e in found if e.get("type") in CUSTOM_CODES), None)
    code = str(custom) if custom else "validation_error"
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    return problem_response(422, f"{where}: {first['msg']}", code,
                            extra={"errors": errors, "error_count": len(found)})


def _listed_error(error: Any) -> dict[str, Any]:
    location = [part if isinstance(part, int) else _shortened(str(part)) for part in error.get("loc", ())]
    return {"loc": location, "msg": _shortened(str(error.get("msg", ""))), "type": str(error.get("type", ""))}


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, str(exc.detail), code,
                            headers=dict(exc.headers) if exc.headers else None)


async def _storage(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NoSuchUpload):
        return problem_response(409, "The storage no longer knows this upload.", "upload_gone")
    if isinstance(exc, InvalidPart):
        return problem_response(409, str(exc), "invalid_parts")
    log_failure(log, "storage failed", exc)
    return problem_response(503, "The object storage is not available; try again later.",
                            "storage_unavailable")


async def _database(_request: Request, exc: Exception) -> JSONResponse:
    """The database is down, or busy past its wait (SQLite's write lock held for 30 s): try again."""
    log_failure(log, "database unavailable", exc)
    return problem_response(503, "The database is not available; try again later.", "database_unavailable",
                            headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(StorageError, _storage)
    app.add_exception_handler(OperationalError, _database)
