"""Webhook endpoints, the packages and portfolios they follow, and their deliveries with every
attempt."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPrimaryKey

DELIVERY_STATUSES = ("pending", "delivered", "failed")
DELIVERY_KINDS = ("usage_event", "ping")


class Webhook(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "webhooks"

    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    # Standard Webhooks secret (`whsec_` + base64); kept as given, since signing needs it.
    secret: Mapped[str] = mapped_column(String(200), nullable=False)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(10)), nullable=False)
    include_initial: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Deliveries that ran out of attempts since the last one that arrived.
    failed_deliveries: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    created_by: Mapped[str | None] = mapped_column(String(50))


class WebhookPackage(Base):
    """A package a webhook follows, by (ecosystem, normalized name): it may not be known yet."""

    __tablename__ = "webhook_packages"
    __table_args__ = (
        PrimaryKeyConstraint("webhook_id", "ecosystem", "name"),
        Index("ix_webhook_packages_package", "ecosystem", "name"),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    )
    ecosystem: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)


class WebhookMaintainer(Base):
    """A maintainer whose portfolio a webhook follows: every package whose source repository
    the GitHub owner `login` (lower case) owns, including packages that join it later."""

    __tablename__ = "webhook_maintainers"
    __table_args__ = (
        PrimaryKeyConstraint("webhook_id", "login"),
        Index("ix_webhook_maintainers_login", "login"),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    )
    login: Mapped[str] = mapped_column(String(100), nullable=False)


class WebhookDelivery(UUIDPrimaryKey, Base):
    """One message to one endpoint; its id is the `webhook-id` of every attempt, so receivers
    can deduplicate retries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {DELIVERY_KINDS!r}", name="kind"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", text("id DESC")),
        # The dispatcher reads the deliveries still waiting for their queue job.
        Index(
            "ix_webhook_deliveries_unqueued",
            "created_at",
            postgresql_where=text("status = 'pending' AND queued_at IS NULL"),
        ),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("usage_events.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # The body, fixed when the delivery is made: every attempt sends the same bytes.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while an attempt is in flight, to when it must have ended: a second job for the
    # delivery waits until then instead of sending it twice at once, and the claim of a
    # worker that died mid-request runs out by itself.
    sending_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


class WebhookAttempt(UUIDPrimaryKey, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False
    )
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
