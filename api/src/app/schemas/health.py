"""Contracts of the health endpoints."""

from typing import Literal

from pydantic import BaseModel, Field

CheckStatus = Literal["healthy", "unhealthy"]


class HealthCheck(BaseModel):
    status: CheckStatus
    response_time_ms: float = Field(examples=[1.73])
    timestamp: str = Field(examples=["2026-11-26T17:40:00.123Z"])


class HealthChecks(BaseModel):
    database: HealthCheck
    cache: HealthCheck
    # Present when DATABASE_READ_URL names a read replica.
    database_read: HealthCheck | None = None


class HealthRead(BaseModel):
    status: Literal["healthy", "degraded"]
    service: Literal["wump-api"] = "wump-api"
    version: str
    timestamp: str
    checks: HealthChecks


class LivenessRead(BaseModel):
    status: Literal["alive"] = "alive"


class ReadinessRead(BaseModel):
    status: Literal["ready"] = "ready"
    schema_revision: str
