"""Publishing a plate's served cuts to a tracker, asked for (``publish_now``) or due (``publish_due``:
automatic publishes and retries, on the reconcile's tick).

Three steps, so that no transaction is open during the tracker's requests: queue or claim the publish
(its ``next_attempt_at`` pushed a lease ahead) and read what it needs, commit; publish; record the
outcome in a unit of work of its own, with the ``tracker.published`` event when it succeeded.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.config import TrackerConnection
from api.cuts.repository import cuts_of_plate
from api.db.base import utcnow
from api.db.unit_of_work import unit_of_work
from api.errors import NotFound, Problem, ServiceUnavailable
from api.integrations.trackers import PublishRequest, TrackerError, TrackerRefused
from api.plates.models import Plate
from api.plates.repository import get_plate, lock_plate
from api.runs.context import RunContext
from api.trackers import repository, service
from api.trackers.models import PublishState, PublishTrigger, TrackerPublish
from api.trackers.schemas import PublishList, PublishOut
from api.webhooks import service as webhooks
from api.webhooks.models import EventType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """One claimed publish: what to send to which tracker (read before the claim's commit)."""

    publish_id: uuid.UUID
    settings: TrackerConnection  # the tracker's, as read when it was claimed
    request: PublishRequest
    lease: datetime


def publish_now(ctx: RunContext, principal: Principal, plate_id: uuid.UUID, tracker: str) -> PublishOut:
    """Queue a publish of the plate and make it at once. It is in the plate's history whatever
    happens: a tracker down (503 ``tracker_unavailable``) or refusing (502 ``tracker_refused``) is
    retried later on the tick, the problem saying when."""
    with unit_of_work(ctx.session_factory) as uow:
        plate = get_plate(uow.session, principal, plate_id)  # 404 when not visible
        settings, request = _request_of(ctx, uow.session, plate, tracker)  # 404, 409: nothing queued
        lease = utcnow() + timedelta(seconds=ctx.settings.trackers.lease_seconds)
        publish = service.queue(uow.session, plate, tracker, PublishTrigger.REQUEST,
                                service.requester(principal.token_id), lease)
        attempt = Attempt(publish.id, settings, request, lease)
    out = _run(ctx, attempt)
    if out.state is PublishState.SUCCEEDED:
        return out
    error = service.BadGateway if out.last_error_code == TrackerRefused.code else ServiceUnavailable
    raise error(out.last_error, code=out.last_error_code, extra={"publish": out.model_dump(mode="json")})


def publish_due(ctx: RunContext, now: datetime | None = None) -> int:
    """Make the publishes due at ``now`` (automatic ones, retries); returns how many were attempted."""
    now = now or utcnow()
    attempts = _claim(ctx, now)
    for attempt in attempts:
        try:
            _run(ctx, attempt)
        except NotFound:
            continue  # deleted with its plate
    return len(attempts)


def _claim(ctx: RunContext, now: datetime) -> list[Attempt]:
    lease = now + timedelta(seconds=ctx.settings.trackers.lease_seconds)
    attempts = []
    with unit_of_work(ctx.session_factory) as uow:
        for publish in repository.claim_due(uow.session, now, ctx.settings.trackers.batch_size):
            publish.next_attempt_at = lease
            plate = uow.session.get(Plate, publish.plate_id)
            assert plate is not None  # the publish goes with its plate
            try:
                settings, request = _request_of(ctx, uow.session, plate, publish.tracker)
            except Problem as problem:  # no such tracker any more, or no cuts: nothing to retry
                service.record_failure(publish, problem, (), now)
                continue
            attempts.append(Attempt(publish.id, settings, request, lease))
        uow.session.flush()
    return attempts


def _request_of(ctx: RunContext, session: Session, plate: Plate,
                tracker: str) -> tuple[TrackerConnection, PublishRequest]:
    """The tracker's settings and what a publish of the plate sends (its cuts read once); raises the
    problem that makes it impossible: no such tracker (404), no cuts yet (409)."""
    settings = service.connection(tracker, ctx.settings.kitsu, ctx.settings.shotgrid)
    cuts = cuts_of_plate(session, plate.id)
    service.check_publishable(plate, cuts)
    return settings, service.build_request(plate, plate.project.name, cuts, settings, ctx.storage.get_bytes)


def _run(ctx: RunContext, attempt: Attempt) -> PublishOut:
    """Publish, then record the outcome (the retry's time when it failed)."""
    tracker = service.connect(attempt.settings)
    try:
        result, error = tracker.publish(attempt.request), None
    except TrackerError as failed:
        result, error = None, failed
    with unit_of_work(ctx.session_factory) as uow:
        publish = repository.lock(uow.session, attempt.publish_id)
        if publish is None:  # its plate was deleted meanwhile
            raise NotFound(f"Plate of publish {attempt.publish_id} was deleted.", code="plate_not_found")
        now = utcnow()
        if result is not None:
            service.record_success(publish, attempt.request, result, now)
            _announce(uow.session, publish)
        else:
            assert error is not None
            service.record_failure(publish, error, ctx.settings.trackers.retry_delays, now)
            log.warning("tracker publish failed", extra={
                "publish_id": str(publish.id), "tracker": publish.tracker, "attempt": publish.attempts,
                "error": publish.last_error_code, "state": publish.state.value})
        uow.session.flush()
        return PublishOut.of(publish)


def _announce(session: Session, publish: TrackerPublish) -> None:
    plate = lock_plate(session, publish.plate_id)  # the event's sequence is the plate's
    if plate is not None and publish.result is not None:
        result = publish.result
        webhooks.record(session, plate, EventType.TRACKER_PUBLISHED, tracker=publish.tracker,
                        publish_id=str(publish.id), tracker_project=result["project"],
                        created=len(result["created"]), updated=len(result["updated"]),
                        unchanged=len(result["unchanged"]), omitted=len(result["omitted"]))


def history(session: Session, principal: Principal, plate_id: uuid.UUID) -> PublishList:
    plate = get_plate(session, principal, plate_id)  # 404 when not visible
    return PublishList(items=[PublishOut.of(p) for p in repository.of_plate(session, plate.id)])
