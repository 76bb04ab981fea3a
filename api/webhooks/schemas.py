"""Webhook subscriptions and their delivery log as the API takes and shows them (the secret once)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.validation import RequestBody
from api.webhooks.models import URL_LENGTH, Delivery, Subscription, WebhookEvent

EventName = Literal["plate.uploaded", "plate.running", "plate.succeeded", "plate.failed", "plate.rejected",
                    "cuts.published", "tracker.published"]


class WebhookCreate(RequestBody):
    url: str = Field(max_length=URL_LENGTH, description="An http or https URL that receives the POSTs")
    events: list[EventName] = Field(min_length=1, max_length=20, description="The event types it receives")


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None = Field(None, description="Set: deleted, nothing more is sent")

    @classmethod
    def from_row(cls, row: Subscription) -> WebhookOut:
        return cls(id=row.id, url=row.url, events=list(row.events), created_at=row.created_at,
                   disabled_at=row.disabled_at)


class WebhookCreated(WebhookOut):
    secret: str = Field(description="whsec_...: verifies the signatures; shown this once")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: str = Field(description="The webhook-id header")
    type: str
    plate_id: uuid.UUID
    status: Literal["pending", "delivered", "given_up"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    gave_up_at: datetime | None

    @classmethod
    def from_rows(cls, delivery: Delivery, event: WebhookEvent) -> DeliveryOut:
        status: Literal["pending", "delivered", "given_up"] = (
            "given_up" if delivery.gave_up_at is not None
            else "pending" if delivery.next_attempt_at is not None or delivery.delivered_at is None
            else "delivered")
        return cls(id=delivery.id, event_id=event.id, type=event.type, plate_id=event.plate_id, status=status,
                   attempts=delivery.attempts, last_status_code=delivery.last_status_code,
                   last_error=delivery.last_error, created_at=delivery.created_at,
                   last_attempt_at=delivery.last_attempt_at, next_attempt_at=delivery.next_attempt_at,
                   delivered_at=delivery.delivered_at, gave_up_at=delivery.gave_up_at)


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
