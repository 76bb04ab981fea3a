"""The drop folders' listing, run at the end of each reconcile tick (``reconcile_once`` calls
``take_drops``, after the sweep): the fallback that needs no notification.

The prefix is listed (at most ``PLATECUT_DROP_BATCH_SIZE`` objects are taken per tick); an object not
decided yet is taken once it is complete (``api.drops.service.ready``: old enough, or seen with the same
size and ETag on an earlier tick), each in a unit of work of its own (``api.drops.flows.take``). Safe
twice and side by side: ``dropped_objects`` is unique by (key, ETag), and a ``seen`` row is claimed by
compare and set.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from api.db.base import utcnow
from api.db.unit_of_work import unit_of_work
from api.drops import flows, repository, service
from api.drops.models import DropState
from api.errors import Conflict
from api.integrations.launcher import LauncherError
from api.integrations.storage import ListedObject, StorageError
from api.runs.context import RunContext
from api.runs.report import TickReport

log = logging.getLogger(__name__)
STEP_ERRORS = (StorageError, LauncherError, SQLAlchemyError, Conflict)  # one object's: the next tick
# the most keys one listing reads (100 S3 requests): dropped objects stay after they are taken, so a
# prefix this full hides those past it, and is logged (a lifecycle rule on the prefix removes them)
LIST_LIMIT = 100_000


def take_drops(ctx: RunContext, report: TickReport) -> None:
    """List the drop prefix and take what is complete; problems are counted in ``report.errors``."""
    settings = ctx.settings.drop
    if not settings.enabled:
        return
    try:
        everything = ctx.storage.list_objects(settings.prefix, limit=LIST_LIMIT)
        if len(everything) >= LIST_LIMIT:
            log.warning("drops: the prefix holds too many objects, some are not seen",
                        extra={"prefix": settings.prefix, "listed": len(everything)})
        listed = [item for item in everything if not item.key.endswith("/")]
        with unit_of_work(ctx.session_factory) as uow:  # the sightings, committed
            session = uow.session
            rows = repository.known(session, (item.key for item in listed))
            now = utcnow()
            waiting: list[ListedObject] = []
            for item in listed:
                row = rows.get((item.key, item.etag))
                if row is not None and row.state is not DropState.SEEN:
                    continue
                if service.ready(item, row, settings, now):
                    waiting.append(item)
                elif row is None:
                    service.note_seen(session, item)
    except (StorageError, SQLAlchemyError) as exc:
        report.errors += 1
        log.warning("drops: the prefix was not listed", extra={"error": str(exc)})
        return
    for item in waiting[:settings.batch_size]:
        _take(ctx, item, report)


def _take(ctx: RunContext, item: ListedObject, report: TickReport) -> None:
    offer = service.Offer(item.key, item.size, item.etag)
    try:
        with unit_of_work(ctx.session_factory) as uow:
            outcome = flows.take(uow, ctx.storage, ctx.launcher, ctx.settings, offer)
    except STEP_ERRORS as exc:
        report.errors += 1
        log.warning("drops: object left for the next tick",
                    extra={"key": item.key, "error": f"{type(exc).__name__}: {exc}"})
        return
    if outcome is flows.Outcome.TAKEN:
        report.drops_taken += 1
    elif outcome is flows.Outcome.REFUSED:
        report.drops_refused += 1
