"""The outermost middleware: request id in and out, an access log line, metrics, last-resort 500."""

from __future__ import annotations

import json
import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_body
from api.observability.context import REQUEST_ID_HEADER, accept_or_make_request_id, request_id_var
from api.observability.metrics import UNMATCHED, HttpMetrics

log = logging.getLogger("api.access")


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_or_make_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"path": scope.get("path")})
            if not response_started:
                await _internal_error(send_with_id, request_id)
        finally:
            self._record(scope, status, time.perf_counter() - started, request_id)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = route_template(scope)
        self.metrics.observe(scope["method"], route, status, seconds)
        log.info("%s %s %s", scope["method"], scope.get("path"), status,
                 extra={"request_id": request_id, "method": scope["method"], "route": route,
                        "status": status, "duration_ms": round(seconds * 1000, 2)})


async def _internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(problem_body(500, "Internal server error", "An unexpected error occurred.",
                                   "internal_error", request_id)).encode()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
