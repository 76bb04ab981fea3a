"""webhooks: subscriptions, the outbox of events, and their deliveries

A site's admins subscribe URLs to plate events. An event is written in the same transaction as the
change it announces (the transactional outbox), with one delivery per subscription that listens to
it; the delivery tick sends them, signed, in order per plate and subscription, retrying with
back-off. The secret is stored as given (``whsec_...``): the server signs with it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False, comment="The event types it receives"),
        sa.Column("secret", sa.String(length=200), nullable=False,
                  comment="whsec_ + base64: signs what is sent; never logged"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True,
                  comment="Set: deleted, nothing more is sent"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_webhook_subscriptions_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index(op.f("ix_webhook_subscriptions_site_id"), "webhook_subscriptions", ["site_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=40), nullable=False,
                  comment="msg_...: the webhook-id header of every attempt"),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("plate_id", sa.Uuid(), nullable=False,
                  comment="No foreign key: the outbox outlives the plate"),
        sa.Column("sequence", sa.Integer(), nullable=False,
                  comment="1, 2, ... per plate: the order events are sent in"),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False, comment="The body sent: type, timestamp, data"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_webhook_events_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("plate_id", "sequence", name=op.f("uq_webhook_events_plate_id_sequence")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("plate_id", sa.Uuid(), nullable=False,
                  comment="The event's: deliveries of a plate go in order"),
        sa.Column("sequence", sa.Integer(), nullable=False, comment="The event's"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True,
                  comment="Due then; None: nothing more to send"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True, comment="A 2xx answer"),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True, comment="Every retry failed"),
        sa.ForeignKeyConstraint(["event_id"], ["webhook_events.id"],
                                name=op.f("fk_webhook_deliveries_event_id_webhook_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscriptions.id"],
                                name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", "subscription_id",
                            name=op.f("uq_webhook_deliveries_event_id_subscription_id")),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["next_attempt_at"])
    op.create_index("ix_webhook_deliveries_order", "webhook_deliveries",
                    ["subscription_id", "plate_id", "sequence"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_order", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_index(op.f("ix_webhook_subscriptions_site_id"), table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
