"""The publishes due (automatic ones, and retries of failed ones), made on a pass of their own beside
the reconcile: the in-process loop's thread ``platecut-trackers``, or the Celery beat task
``platecut.trackers`` when a broker is configured. A slow or absent tracker never holds up a tick."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from api.runs.context import RunContext
from api.trackers import flows

log = logging.getLogger(__name__)


def publish_due(ctx: RunContext) -> int:
    """How many publishes were attempted (0 when the database was away: the next pass tries again)."""
    try:
        attempted = flows.publish_due(ctx)
    except SQLAlchemyError as error:
        log.warning("tracker publishes not attempted", extra={"error": type(error).__name__})
        return 0
    if attempted:
        log.info("tracker publishes attempted", extra={"attempted": attempted})
    return attempted
