"""The app factory: ``create_app(settings)`` wires database, storage, routers and middleware.

``uvicorn --factory api.app:create_app`` builds it from ``PLATECUT_*`` variables.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.auth.cache import PrincipalCache
from api.auth.dependencies import TokenRateLimiter
from api.auth.router import router as tokens_router
from api.body_limit import BodyLimitMiddleware
from api.config import Settings
from api.corrections.router import router as corrections_router
from api.cuts.router import router as cuts_router
from api.db.engine import make_engine, make_session_factory
from api.drops.router import router as drops_router
from api.health.router import router as health_router
from api.integrations.factory import build_launcher, build_storage
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage
from api.observability.logging import configure_logging
from api.observability.metrics import HttpMetrics, MetricsServer
from api.observability.metrics import router as metrics_router
from api.observability.middleware import RequestContextMiddleware
from api.plates.router import router as plates_router
from api.problem_handlers import PROBLEM_RESPONSES, install_problem_handlers
from api.projects.router import router as projects_router
from api.projects.service import ProjectCache
from api.reels.router import changes_router
from api.reels.router import router as reels_router
from api.runs.background import ReconcileLoop
from api.runs.context import RunContext
from api.runs.router import router as runs_router
from api.trackers.router import router as trackers_router
from api.uploads.router import router as uploads_router
from api.urls import STORAGE_PREFIX
from api.web.assets import mount_static
from api.web.dependencies import SignInRequired, sign_in_redirect
from api.web.docs import router as docs_router
from api.web.router import router as web_router
from api.web.templating import problem_page
from api.webhooks.router import router as webhooks_router

DOMAIN_ROUTERS = (tokens_router, projects_router, plates_router, uploads_router, cuts_router, runs_router,
                  reels_router, changes_router, corrections_router, trackers_router,
                  webhooks_router, drops_router)


def _wire_pages(app: FastAPI) -> None:
    """The browser pages (``/ui``), their static files and the redirect to sign in."""
    app.include_router(web_router)
    app.state.page_problem = problem_page
    app.add_exception_handler(SignInRequired, sign_in_redirect)


def create_app(settings: Settings | None = None, storage: Storage | None = None,
               launcher: Launcher | None = None) -> FastAPI:
    """The API; ``storage`` and ``launcher`` replace those the settings would build (tests).

    Without a broker (``PLATECUT_BROKER_URL`` unset) the reconcile and its sweep run in-process, on a
    thread the lifespan starts and stops; with one, Celery beat runs them."""
    settings = settings or Settings()
    if settings.log_json:
        configure_logging(settings.log_level)
    engine = make_engine(settings.resolved_database_url())
    storage = storage or build_storage(settings)
    launcher = launcher or build_launcher(settings)
    session_factory = make_session_factory(engine)
    run_context = RunContext(session_factory, launcher, storage, settings)

    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = _reconcile_loop(settings, run_context, metrics)
        _app.state.reconcile_loop = loop
        if loop is not None:
            loop.start()
        metrics_server = _metrics_server(settings, _app.state.metrics)
        try:
            yield
        finally:
            if metrics_server is not None:
                await asyncio.to_thread(metrics_server.stop)
            if loop is not None:
                await asyncio.to_thread(loop.stop)
            engine.dispose()

    app = FastAPI(title="platecut", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Upload original plates, split them into cuts, download the cuts.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.storage = storage
    app.state.launcher = launcher
    app.state.run_context = run_context
    app.state.reconcile_loop = None
    app.state.metrics = metrics
    app.state.principal_cache = PrincipalCache(settings.auth_cache_seconds)
    app.state.project_cache = ProjectCache(settings.auth_cache_seconds)
    app.state.rate_limiter = TokenRateLimiter(settings.rate_limit.per_second, settings.rate_limit.burst)
    install_problem_handlers(app)
    app.include_router(health_router)
    if settings.metrics_public:
        app.include_router(metrics_router)
    for router in DOMAIN_ROUTERS:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    _wire_pages(app)
    _wire_disk_storage(app, storage)
    app.include_router(docs_router)  # /docs and /redoc, their scripts served by the app (api.web)
    mount_static(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body, prefix="/api/",
                       exempt=STORAGE_PREFIX)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app


def _reconcile_loop(settings: Settings, context: RunContext, metrics: HttpMetrics) -> ReconcileLoop | None:
    """The in-process reconcile and its sweep: embedded (no broker) with an interval (also without a
    launcher: the sweep still has work); what its sweeps remove is counted in the app's metrics."""
    runs = settings.runs
    if runs.broker_url or runs.reconcile_seconds <= 0:
        return None
    return ReconcileLoop(context, runs.reconcile_seconds,
                         on_report=lambda report: metrics.count_swept(report.removals()))


def _metrics_server(settings: Settings, metrics: HttpMetrics) -> MetricsServer | None:
    """The metrics on a port of their own, started (``PLATECUT_METRICS_PORT``; 0: none)."""
    if not settings.metrics_port:
        return None
    server = MetricsServer(metrics.registry, settings.metrics_host, settings.metrics_port)
    return server if server.start() else None


def _wire_disk_storage(app: FastAPI, storage: Storage) -> None:
    from api.integrations.disk import DiskStorage

    if isinstance(storage, DiskStorage):
        from api.integrations.disk.router import get_disk_storage
        from api.integrations.disk.router import router as disk_router

        app.include_router(disk_router)
        app.dependency_overrides[get_disk_storage] = lambda: storage
