"""Contracts of webhooks: subscribing an endpoint, reading it, and its delivery log."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from app.schemas.usage_event import UsageEventType


class WebhookCreate(BaseModel):
    url: str = Field(
        min_length=8,
        max_length=2000,
        description="Where deliveries are POSTed (https; http only where private addresses "
        "are allowed).",
        examples=["https://hooks.example/wump"],
    )
    purls: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Packages to follow, as package URLs; the version is ignored. Give `purls`, "
        "`maintainers` or both.",
        examples=[["pkg:npm/left-pad", "pkg:pypi/django"]],
    )
    maintainers: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="GitHub owners whose portfolios to follow: every package whose source "
        "repository the owner owns, as `GET /maintainers/{login}/users` lists them, including "
        "packages that join the portfolio later. Each must own at least one package wump knows.",
        examples=[["sindresorhus"]],
    )
    event_types: list[UsageEventType] = Field(
        default_factory=lambda: list[UsageEventType](["started", "stopped", "changed"]),
        min_length=1,
    )
    include_initial: bool = Field(
        default=False,
        description="Also deliver the events of organizations' first imports.",
    )
    secret: str | None = Field(
        default=None,
        max_length=200,
        description="A Standard Webhooks secret (`whsec_` + base64 of 24 to 64 bytes); one is "
        "generated when left out. Shown only in this answer.",
    )


class WebhookRead(BaseModel):
    id: UUID
    url: str
    purls: list[str]
    maintainers: list[str] = Field(description="Followed portfolios' owners, in lower case.")
    event_types: list[str]
    include_initial: bool
    is_active: bool
    disabled_reason: str | None = Field(
        description="Why deliveries stopped, when the endpoint was disabled."
    )
    disabled_at: datetime | None
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Verifies the `webhook-signature` header; shown only once.")


class AttemptRead(BaseModel):
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's answer; null when none came.")
    latency_ms: int
    error: str | None


class DeliveryRead(BaseModel):
    id: UUID = Field(description="The `webhook-id` header of every attempt.")
    kind: Literal["usage_event", "ping"]
    event_id: UUID | None
    status: Literal["pending", "delivered", "failed"]
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[AttemptRead]


class DeliveriesQuery(BaseModel):
    limit: int | None = Field(default=None, ge=1, description="Page size, at most PAGE_MAX_LIMIT.")
    cursor: str | None = Field(default=None, max_length=2000)
