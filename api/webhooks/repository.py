"""Queries of webhooks: a site's subscriptions, a subscription's deliveries, and the due deliveries.

A delivery is due when its ``next_attempt_at`` has come, its subscription is not disabled, and no
earlier event of the same plate is still pending for the same subscription (neither delivered nor
given up): events of a plate reach a subscription in order. The due rows are claimed row-locked
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the database's write lock, ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from api.db.locks import take_write_lock
from api.webhooks.models import Delivery, Subscription, WebhookEvent


def subscriptions_of(session: Session, site_id: uuid.UUID) -> list[Subscription]:
    query = (select(Subscription).where(Subscription.site_id == site_id)
             .order_by(Subscription.created_at, Subscription.id))
    return list(session.scalars(query))


def listening(session: Session, site_id: uuid.UUID, event_type: str) -> list[Subscription]:
    """The site's active subscriptions to ``event_type``."""
    rows = session.scalars(select(Subscription).where(Subscription.site_id == site_id,
                                                      Subscription.disabled_at.is_(None))
                           .order_by(Subscription.created_at, Subscription.id))
    return [row for row in rows if event_type in row.events]


def subscription(session: Session, site_id: uuid.UUID, subscription_id: uuid.UUID) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.id == subscription_id,
                                                     Subscription.site_id == site_id))


def next_sequence(session: Session, plate_id: uuid.UUID) -> int:
    """The plate's next event number (its row is locked by the flow recording the event)."""
    last = session.scalar(select(func.max(WebhookEvent.sequence)).where(WebhookEvent.plate_id == plate_id))
    return (last or 0) + 1


def deliveries_of(session: Session, subscription_id: uuid.UUID,
                  limit: int) -> list[tuple[Delivery, WebhookEvent]]:
    """The subscription's deliveries, newest event first."""
    query = (select(Delivery, WebhookEvent).join(WebhookEvent, WebhookEvent.id == Delivery.event_id)
             .where(Delivery.subscription_id == subscription_id)
             .order_by(WebhookEvent.created_at.desc(), Delivery.sequence.desc()).limit(limit))
    return [(delivery, event) for delivery, event in session.execute(query).all()]


def delivery_of_site(session: Session, site_id: uuid.UUID, delivery_id: uuid.UUID,
                     lock: bool = False) -> Delivery | None:
    if lock:
        take_write_lock(session)
    query = (select(Delivery).join(Subscription, Subscription.id == Delivery.subscription_id)
             .where(Delivery.id == delivery_id, Subscription.site_id == site_id))
    if lock:
        query = query.with_for_update(of=Delivery)
    return session.scalar(query)


def lock_delivery(session: Session, delivery_id: uuid.UUID) -> Delivery | None:
    """The delivery, row-locked, to record an attempt's result (call it first in a transaction)."""
    take_write_lock(session)
    return session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())


def claim_due(session: Session, now: datetime,
              limit: int) -> list[tuple[Delivery, WebhookEvent, Subscription]]:
    """Due deliveries, row-locked (skipping those another transaction holds), oldest first."""
    take_write_lock(session)
    earlier = aliased(Delivery)
    blocked = exists().where(and_(earlier.subscription_id == Delivery.subscription_id,
                                  earlier.plate_id == Delivery.plate_id,
                                  earlier.sequence < Delivery.sequence,
                                  earlier.delivered_at.is_(None), earlier.gave_up_at.is_(None)))
    query = (select(Delivery, WebhookEvent, Subscription)
             .join(WebhookEvent, WebhookEvent.id == Delivery.event_id)
             .join(Subscription, Subscription.id == Delivery.subscription_id)
             .where(Delivery.next_attempt_at <= now, Subscription.disabled_at.is_(None), ~blocked)
             .order_by(Delivery.next_attempt_at, Delivery.sequence, Delivery.id).limit(limit)
             .with_for_update(skip_locked=True, of=Delivery))
    return [(d, e, s) for d, e, s in session.execute(query).all()]
