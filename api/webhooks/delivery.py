"""Sending what the outbox holds: ``deliver_due`` POSTs each due delivery, signed as the Standard
Webhooks specification says (https://www.standardwebhooks.com).

Three steps, so that no lock is held during a network call: claim the due deliveries (row-locked,
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) and push their ``next_attempt_at``
past the time a send may take (a lease: a process that dies mid-send leaves them due again later),
commit; send each; record each result in a transaction of its own.

Headers: ``webhook-id`` (the event's ``msg_...``, the same on every attempt), ``webhook-timestamp``
(unix seconds of this attempt), ``webhook-signature``: ``v1,`` and the base64 of the HMAC-SHA256 of
``{id}.{timestamp}.{body}`` keyed with the base64-decoded secret after ``whsec_``. A 2xx answer is a
delivery; anything else, a timeout or a connection error is retried after
``PLATECUT_WEBHOOK_RETRY_DELAYS`` (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 6.5 h: a day in all) and
given up after the last. Runs on the reconcile's tick: the in-process loop, or the Celery beat task
``platecut.webhooks`` when a broker is configured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from api.config import WebhookSettings
from api.db.base import utcnow
from api.db.engine import SessionFactory
from api.db.unit_of_work import unit_of_work
from api.webhooks import repository
from api.webhooks.models import SECRET_PREFIX

log = logging.getLogger(__name__)
LEASE_MARGIN_SECONDS = 60.0
ERROR_LENGTH = 500


@dataclass(frozen=True)
class Send:
    """One claimed delivery: what to POST where (read before the claim's commit)."""

    delivery_id: uuid.UUID
    event_id: str
    event_type: str
    url: str
    secret: str = field(repr=False)
    body: str
    lease: datetime  # the claim's next_attempt_at: another value when it is redelivered meanwhile


@dataclass
class DeliveryReport:
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, outcome: str) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "delivered": self.delivered, "failed": self.failed,
                "gave_up": self.gave_up}


def body_of(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header's value (one ``v1`` signature)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_at(settings: WebhookSettings, attempts: int, now: datetime) -> datetime | None:
    """When the next attempt is due after ``attempts`` failed ones; None: give up."""
    if attempts > len(settings.retry_delays):
        return None
    return now + timedelta(seconds=settings.retry_delays[attempts - 1])


def deliver_due(factory: SessionFactory, settings: WebhookSettings, now: datetime | None = None,
                client: httpx.Client | None = None) -> DeliveryReport:
    """Send the deliveries due at ``now`` (default: the clock), at most ``settings.batch_size``; claimed
    again after each round, so a plate's next event follows the one just delivered in the same pass."""
    now = now or utcnow()
    report = DeliveryReport()
    own = client is None
    http = client or httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False)
    try:
        with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="webhook") as pool:
            while report.sent < settings.batch_size:  # a delivery makes the plate's next event due
                sends = _claim(factory, settings, now, settings.batch_size - report.sent)
                if not sends:
                    break
                # one delivery per plate and subscription in a round (the later ones wait): side by side
                list(pool.map(lambda send: _attempt(factory, settings, http, send, now, report), sends))
    finally:
        if own:
            http.close()
    return report


def _attempt(factory: SessionFactory, settings: WebhookSettings, http: httpx.Client, send: Send,
             now: datetime, report: DeliveryReport) -> None:
    status, error = _post(http, send)
    _record(factory, settings, send, now, status, error, report)


def _claim(factory: SessionFactory, settings: WebhookSettings, now: datetime, limit: int) -> list[Send]:
    rounds = -(-limit // settings.concurrency)  # the sends of this claim, one after another per thread
    lease = now + timedelta(seconds=rounds * settings.timeout_seconds + LEASE_MARGIN_SECONDS)
    with unit_of_work(factory) as uow:
        sends = []
        for delivery, event, subscription in repository.claim_due(uow.session, now, limit):
            delivery.next_attempt_at = lease
            sends.append(Send(delivery.id, event.id, event.type, subscription.url, subscription.secret,
                              body_of(event.payload), lease))
        uow.session.flush()
    return sends


def _post(http: httpx.Client, send: Send) -> tuple[int | None, str | None]:
    timestamp = int(time.time())
    headers = {"webhook-id": send.event_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": sign(send.secret, send.event_id, timestamp, send.body),
               "content-type": "application/json"}
    try:
        answer = http.post(send.url, content=send.body.encode(), headers=headers)
    except httpx.TimeoutException as exc:
        return None, f"timeout: {type(exc).__name__}"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
    if 200 <= answer.status_code < 300:
        return answer.status_code, None
    return answer.status_code, f"HTTP {answer.status_code}"


def _record(factory: SessionFactory, settings: WebhookSettings, send: Send, now: datetime,
            status: int | None, error: str | None, report: DeliveryReport) -> None:
    report.count("sent")
    with unit_of_work(factory) as uow:
        delivery = repository.lock_delivery(uow.session, send.delivery_id)
        if delivery is None:  # its subscription was removed meanwhile
            return
        redelivered = delivery.next_attempt_at != send.lease  # asked for during this attempt: keep it
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = status
        delivery.last_error = error
        extra = {"event_id": send.event_id, "type": send.event_type, "delivery_id": str(send.delivery_id),
                 "host": urlsplit(send.url).hostname, "attempt": delivery.attempts, "status": status}
        if error is None:
            delivery.delivered_at = now
            delivery.next_attempt_at = delivery.next_attempt_at if redelivered else None
            report.count("delivered")
            log.info("webhook delivered", extra=extra)
            return
        if not redelivered:
            delivery.next_attempt_at = retry_at(settings, delivery.attempts, now)
        if delivery.next_attempt_at is None:
            delivery.gave_up_at = now
            report.count("gave_up")
            log.warning("webhook given up", extra={**extra, "error": error})
        else:
            report.count("failed")
            log.info("webhook attempt failed", extra={**extra, "error": error,
                                                      "retry_at": delivery.next_attempt_at.isoformat()})
