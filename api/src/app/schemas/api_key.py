"""API key contracts: creation, the one-time reveal, listing, and the caller's own view."""

import uuid
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Tier = Literal["free", "pro", "enterprise"]
Scope = Literal["read", "ingest", "admin", "webhooks"]

# What the api_keys columns can hold: rate_limit is an integer column, and an expiry must stay
# a date both Python and PostgreSQL can represent.
MAX_RATE_LIMIT = 2**31 - 1
MAX_LIFETIME = timedelta(days=36_525)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    tier: Tier = "free"
    scopes: list[Scope] = Field(default_factory=lambda: list[Scope](["read"]), min_length=1)
    rate_limit: int | None = Field(
        default=None,
        gt=0,
        le=MAX_RATE_LIMIT,
        description="Requests per minute; the tier's default when unset.",
    )
    expires_in: timedelta | None = Field(
        default=None,
        description="Lifetime as seconds or an ISO 8601 duration (P90D), at most 100 years.",
    )

    @field_validator("scopes")
    @classmethod
    def _unique_scopes(cls, value: list[Scope]) -> list[Scope]:
        return sorted(set(value))

    @field_validator("expires_in")
    @classmethod
    def _positive_lifetime(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be a positive duration")
        if value is not None and value > MAX_LIFETIME:
            raise ValueError("must be at most 100 years (36525 days)")
        return value


class ApiKeyRead(BaseModel):
    """A stored key as anyone may see it: the prefix identifies it, the secret is never kept."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key_prefix: str
    name: str
    tier: Tier
    scopes: list[Scope]
    rate_limit: int | None
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown this once, never again.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyRead]


class CallerRead(BaseModel):
    """Who the API believes is calling, and the limit that applies."""

    authenticated: bool
    key_id: uuid.UUID | None
    key_prefix: str | None
    name: str | None
    tier: Tier | Literal["anonymous"]
    scopes: list[Scope]
    rate_limit: int = Field(description="Requests per minute.")
