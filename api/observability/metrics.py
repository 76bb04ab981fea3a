"""Prometheus metrics of the API, one registry per app (several apps may share a process): its HTTP
requests, and what the sweep of its in-process reconcile removed (``platecut_swept_total``; under
Celery the worker's ticks report their removals in their log lines instead)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

UNMATCHED = "unmatched"  # a fixed label for unknown paths: no unbounded label values


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


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    collected: HttpMetrics = request.app.state.metrics
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)
