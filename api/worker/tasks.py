"""Celery tasks: thin wrappers that call the runs service."""

from __future__ import annotations

import logging
from typing import Any

from api.runs.context import RunContext
from api.runs.reconcile import reconcile_once
from api.trackers.tick import publish_due
from api.webhooks.delivery import deliver_due
from api.worker.app import RECONCILE_TASK, TRACKERS_TASK, TRACKERS_TIME_LIMIT, WEBHOOKS_TASK, app

log = logging.getLogger(__name__)


@app.task(name=RECONCILE_TASK)  # type: ignore[untyped-decorator]
def reconcile() -> dict[str, Any]:
    """One reconcile tick: Job statuses into plate states, manifests into cuts."""
    report = reconcile_once(RunContext.from_settings())
    log.info("reconcile tick", extra={"report": report.as_dict()})
    return report.as_dict()


@app.task(name=WEBHOOKS_TASK)  # type: ignore[untyped-decorator]
def deliver_webhooks() -> dict[str, Any]:
    """Send the webhooks due (claimed with SKIP LOCKED: safe side by side)."""
    ctx = RunContext.from_settings()
    report = deliver_due(ctx.session_factory, ctx.settings.webhooks)
    return report.as_dict()


@app.task(name=TRACKERS_TASK, time_limit=TRACKERS_TIME_LIMIT)  # type: ignore[untyped-decorator]
def publish_to_trackers() -> dict[str, Any]:
    """Make the tracker publishes due (claimed with SKIP LOCKED: safe side by side)."""
    return {"attempted": publish_due(RunContext.from_settings())}
