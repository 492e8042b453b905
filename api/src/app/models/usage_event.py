"""Usage events: an organization started, stopped or changed using a package."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UUIDPrimaryKey

USAGE_EVENT_TYPES = ("started", "stopped", "changed")


class UsageEvent(UUIDPrimaryKey, Base):
    __tablename__ = "usage_events"
    __table_args__ = (
        CheckConstraint(f"event_type IN {USAGE_EVENT_TYPES!r}", name="event_type"),
        # Feeds read newest first per package or per organization, in commit order.
        Index("ix_usage_events_package", "package_id", text("seq DESC")),
        Index("ix_usage_events_organization", "organization_id", text("seq DESC")),
        Index("ix_usage_events_occurred_at", "occurred_at"),
    )

    # The event's place in the feeds, in commit order: numbered under a lock held until the
    # writing transaction ends (see UsageEventRepository.insert_events), so an event that
    # becomes visible later always has a higher number than every one visible before it.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False, unique=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("packages.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(10), nullable=False)
    # Written while the organization had never been crawled to the end: its first import.
    is_initial: Mapped[bool] = mapped_column(Boolean, nullable=False)
    repositories_before: Mapped[int] = mapped_column(Integer, nullable=False)
    repositories_after: Mapped[int] = mapped_column(Integer, nullable=False)
    kinds_before: Mapped[int] = mapped_column(Integer, nullable=False)
    kinds_after: Mapped[int] = mapped_column(Integer, nullable=False)
    # [{full_name, change: added|removed|updated, manifests: [path], commit}]
    repositories: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
