"""The rules of webhooks: subscribing, recording an event in the caller's unit of work, redelivering.

``record`` is what the flows call where a plate's state changes (``api.plates.flows``,
``api.runs.flows``): the event and its deliveries are rows of the same transaction as the change, so
an event is sent if and only if the change was committed (the transactional outbox). Changes rows
and flushes, never commits.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.base import utcnow
from api.errors import Forbidden, NotFound, Unprocessable
from api.plates.models import Plate
from api.webhooks import repository
from api.webhooks.models import SECRET_PREFIX, URL_LENGTH, Delivery, EventType, Subscription, WebhookEvent

SECRET_BYTES = 32
EVENT_PREFIX = "msg_"


def new_secret() -> str:
    """``whsec_`` and the base64 of 32 random bytes: the key is the decoded bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_url(url: str) -> str:
    """An absolute ``http`` or ``https`` URL with a host.

    The API does not resolve the host nor refuse internal addresses: it is the site's own admin who
    subscribes, and a site's receivers are often on its own network. A site that exposes the API to
    people it does not trust with its network should keep the API's outgoing traffic (the process
    that runs the reconcile tick or the Celery worker) behind an egress proxy or firewall that allows
    only its receivers."""
    if len(url) > URL_LENGTH:
        raise Unprocessable(f"The URL is longer than {URL_LENGTH} characters.", code="bad_url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("The URL must be an absolute http or https URL.", code="bad_url")
    if parts.username or parts.password:
        raise Unprocessable("The URL must not hold credentials.", code="bad_url")
    return url


def require_site_admin(principal: Principal, action: str) -> None:
    """Subscriptions see every plate of the site: they take a site-wide admin token."""
    if not principal.is_admin or principal.project_ids is not None:
        raise Forbidden(f"{action} takes a site-wide admin token.", code="admin_required")


def subscribe(session: Session, principal: Principal, url: str, events: list[str]) -> Subscription:
    require_site_admin(principal, "Managing webhooks")
    row = Subscription(site_id=principal.site_id, url=check_url(url), events=sorted(set(events)),
                       secret=new_secret(), created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def subscriptions(session: Session, principal: Principal) -> list[Subscription]:
    require_site_admin(principal, "Managing webhooks")
    return repository.subscriptions_of(session, principal.site_id)


def get_subscription(session: Session, principal: Principal, subscription_id: uuid.UUID) -> Subscription:
    require_site_admin(principal, "Managing webhooks")
    row = repository.subscription(session, principal.site_id, subscription_id)
    if row is None:
        raise NotFound("No such webhook.", code="webhook_not_found")
    return row


def unsubscribe(session: Session, principal: Principal, subscription_id: uuid.UUID) -> Subscription:
    """Disabled (kept with its delivery log); nothing more is sent to it. Idempotent."""
    row = get_subscription(session, principal, subscription_id)
    row.disabled_at = row.disabled_at or utcnow()
    session.flush()
    return row


def redeliver(session: Session, principal: Principal, delivery_id: uuid.UUID,
              now: datetime | None = None) -> Delivery:
    """A new attempt now, with the same ``webhook-id`` (a given-up delivery is pending again: one
    attempt, given up again if it fails)."""
    require_site_admin(principal, "Managing webhooks")
    delivery = repository.delivery_of_site(session, principal.site_id, delivery_id, lock=True)
    if delivery is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    delivery.next_attempt_at = now or utcnow()
    delivery.gave_up_at = None
    session.flush()
    return delivery


def plate_data(plate: Plate, **extra: Any) -> dict[str, Any]:
    return {"plate_id": str(plate.id), "name": plate.name, "project": plate.project.name,
            "reel": plate.reel, "version": plate.version, "state": plate.state.value,
            "attempt": plate.attempt, "cut_version": plate.published_cut_version, **extra}


def record(session: Session, plate: Plate, event_type: EventType, **extra: Any) -> WebhookEvent | None:
    """The event of ``plate`` (its row locked by the caller), with a delivery to each subscription of
    its site that listens to it; nothing when none does. Sent once the caller's unit of work commits."""
    listeners = repository.listening(session, plate.site_id, event_type.value)
    if not listeners:
        return None
    now = utcnow()
    event = WebhookEvent(id=EVENT_PREFIX + uuid.uuid4().hex, site_id=plate.site_id, plate_id=plate.id,
                         sequence=repository.next_sequence(session, plate.id), type=event_type.value,
                         payload={"type": event_type.value, "timestamp": now.isoformat(),
                                  "data": plate_data(plate, **extra)}, created_at=now)
    session.add(event)
    session.flush()  # the event before its deliveries (their foreign key)
    session.add_all(Delivery(event_id=event.id, subscription_id=row.id, plate_id=plate.id,
                             sequence=event.sequence, next_attempt_at=now, created_at=now)
                    for row in listeners)
    session.flush()
    return event
