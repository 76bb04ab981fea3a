"""Problem documents (RFC 9457) for every error the API returns, each with a stable code.

Services raise ``Problem`` subclasses; the handlers in ``api.problem_handlers`` turn them,
validation errors, unmatched routes and unexpected failures into the same JSON shape:
``type``, ``title``, ``status``, ``detail``, ``code``, ``request_id``.
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "urn:platecut:problem:"


class Problem(Exception):
    status = 500
    title = "Internal server error"
    code = "internal_error"

    def __init__(self, detail: str | None = None, *, code: str | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 keep_changes: bool = False) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.extra = extra or {}
        self.headers = headers or {}
        # the request's unit of work commits what it changed before answering with this problem:
        # a check failed, and the state it left is what the client must see next (never set for
        # a mistake that should change nothing)
        self.keep_changes = keep_changes


class BadRequest(Problem):
    status = 400
    title = "Bad request"
    code = "bad_request"


class Unauthorized(Problem):
    status = 401
    title = "Unauthorized"
    code = "unauthorized"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class NotFound(Problem):
    status = 404
    title = "Not found"
    code = "not_found"


class Conflict(Problem):
    status = 409
    title = "Conflict"
    code = "conflict"


class ContentTooLarge(Problem):
    status = 413
    title = "Content too large"
    code = "body_too_large"


class Unprocessable(Problem):
    status = 422
    title = "Unprocessable content"
    code = "validation_error"


class TooManyRequests(Problem):
    status = 429
    title = "Too many requests"
    code = "rate_limited"


class ServiceUnavailable(Problem):
    status = 503
    title = "Service unavailable"
    code = "service_unavailable"


def problem_body(status: int, title: str, detail: str, code: str, request_id: str | None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + code, "title": title, "status": status,
                            "detail": detail, "code": code, "request_id": request_id}
    body.update(extra or {})
    return body
