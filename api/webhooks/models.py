"""The webhook tables: subscriptions, the outbox of events, and each event's delivery to a subscription.

An event (``webhook_events``) is written in the same unit of work as the change it announces (the
transactional outbox), with one delivery (``webhook_deliveries``) per subscription of the plate's site
that listens to its type. The delivery tick (``api.webhooks.delivery``) sends what is due.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, new_id, utcnow

URL_LENGTH = 2000
EVENT_ID_LENGTH = 40
TYPE_LENGTH = 40
SECRET_PREFIX = "whsec_"  # then the base64 of the key


class EventType(enum.StrEnum):
    PLATE_UPLOADED = "plate.uploaded"
    PLATE_RUNNING = "plate.running"
    PLATE_SUCCEEDED = "plate.succeeded"
    PLATE_FAILED = "plate.failed"
    PLATE_REJECTED = "plate.rejected"
    CUTS_PUBLISHED = "cuts.published"
    TRACKER_PUBLISHED = "tracker.published"


class Subscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    events: Mapped[list[str]] = mapped_column(JSON, comment="The event types it receives")
    secret: Mapped[str] = mapped_column(String(200),
                                        comment="whsec_ + base64: signs what is sent; never logged")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(comment="Set: deleted, nothing more is sent")


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("plate_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), primary_key=True,
                                    comment="msg_...: the webhook-id header of every attempt")
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    plate_id: Mapped[uuid.UUID] = mapped_column(comment="No foreign key: the outbox outlives the plate")
    sequence: Mapped[int] = mapped_column(comment="1, 2, ... per plate: the order events are sent in")
    type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, comment="The body sent: type, timestamp, data")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "subscription_id"),
                      Index("ix_webhook_deliveries_due", "next_attempt_at"),
                      Index("ix_webhook_deliveries_order", "subscription_id", "plate_id", "sequence"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    plate_id: Mapped[uuid.UUID] = mapped_column(comment="The event's: deliveries of a plate go in order")
    sequence: Mapped[int] = mapped_column(comment="The event's")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(comment="Due then; None: nothing more to send")
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(comment="A 2xx answer")
    gave_up_at: Mapped[datetime | None] = mapped_column(comment="Every retry failed")
