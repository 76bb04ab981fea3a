"""Prometheus metrics of the API, one registry per app (several apps may share a process): its HTTP
requests, and what the sweep of its in-process reconcile removed (``platecut_swept_total``; under
Celery the worker's ticks report their removals in their log lines instead).

They are served on a port of their own (``PLATECUT_METRICS_PORT``, by ``MetricsServer``), which the
API's Service and Ingress do not route; ``/metrics`` on the API's own port answers only with
``PLATECUT_METRICS_PUBLIC`` (anyone who reaches the API would read it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import start_wsgi_server

UNMATCHED = "unmatched"  # a fixed label for unknown paths: no unbounded label values
log = logging.getLogger(__name__)


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("platecut_http_requests", "HTTP requests served",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("platecut_http_request_duration_seconds", "Time to serve a request",
                                 ["method", "route", "status"], registry=self.registry)
        self.swept = Counter("platecut_swept", "What the sweep removed: uploads_expired, plates_purged, "
                             "objects_purged, temp_files_removed", ["what"], registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def count_swept(self, removals: Mapping[str, int]) -> None:
        """Add a sweep's removals (kind -> how many) to ``platecut_swept_total{what=kind}``."""
        for kind, count in removals.items():
            if count:
                self.swept.labels(kind).inc(count)


class MetricsServer:
    """The registry in Prometheus' text format on ``host:port``, from a thread of this process.

    With several uvicorn workers, the first to start serves its own figures and the others log that
    the port is taken (the chart runs one worker per pod)."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self.registry, self.host, self.port = registry, host, port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        try:
            self._server, self._thread = start_wsgi_server(self.port, self.host, self.registry)
        except OSError as exc:
            log.warning("metrics not served on %s:%s: %s", self.host, self.port, exc)
            return False
        log.info("metrics served on %s:%s", self.host, self.port)
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Included on the API's port only with ``PLATECUT_METRICS_PUBLIC``."""
    collected: HttpMetrics = request.app.state.metrics
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)
