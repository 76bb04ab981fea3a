"""/api/v1/webhooks: a site's admins subscribe URLs to plate events and read the delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.urls import API_V1
from api.webhooks import repository, service
from api.webhooks.models import WebhookEvent
from api.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)

router = APIRouter(prefix=API_V1 + "/webhooks", tags=["webhooks"])


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, session: DbSession, principal: CurrentPrincipal) -> WebhookCreated:
    """Subscribe a URL of the caller's site to events (site-wide admin tokens only). The signing secret
    is returned this once. The URL is not checked against internal addresses: see the README."""
    row = service.subscribe(session, principal, body.url, list(body.events))
    return WebhookCreated(**WebhookOut.from_row(row).model_dump(), secret=row.secret)


@router.get("", response_model=WebhookList)
def list_webhooks(session: DbSession, principal: CurrentPrincipal) -> WebhookList:
    """The site's subscriptions, deleted ones included, oldest first. Never a secret."""
    return WebhookList(items=[WebhookOut.from_row(row) for row in service.subscriptions(session, principal)])


@router.delete("/{webhook_id}", response_model=WebhookOut)
def delete_webhook(webhook_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> WebhookOut:
    """Stop sending to it (its delivery log is kept). Idempotent."""
    return WebhookOut.from_row(service.unsubscribe(session, principal, webhook_id))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList)
def list_deliveries(webhook_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> DeliveryList:
    """The delivery log, newest event first: event id, type, attempts, status, times."""
    row = service.get_subscription(session, principal, webhook_id)
    return DeliveryList(items=[DeliveryOut.from_rows(d, e) for d, e in
                               repository.deliveries_of(session, row.id, limit)])


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut,
             status_code=status.HTTP_202_ACCEPTED)
def redeliver(delivery_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> DeliveryOut:
    """A new attempt at the next delivery pass, with the same ``webhook-id``."""
    delivery = service.redeliver(session, principal, delivery_id)
    event = session.get(WebhookEvent, delivery.event_id)
    assert event is not None
    return DeliveryOut.from_rows(delivery, event)
