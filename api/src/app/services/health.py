"""Health checks: each dependency probed concurrently, each bounded by a timeout."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.errors import DatabaseNotReady
from app.core.logging import get_logger
from app.core.migrate import head_revision
from app.schemas.health import HealthCheck, HealthChecks, HealthRead, ReadinessRead

log = get_logger(__name__)


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def service_version() -> str:
    try:
        return version("wump")
    except PackageNotFoundError:
        return "0.0.0"


class HealthService:
    def __init__(self, engine: AsyncEngine, cache: Redis, timeout: float) -> None:
        self._engine = engine
        self._cache = cache
        self._timeout = timeout

    async def _timed(self, name: str, probe: Callable[[], Awaitable[object]]) -> HealthCheck:
        started = time.perf_counter()
        status: str = "healthy"
        try:
            await asyncio.wait_for(probe(), timeout=self._timeout)
        except Exception as error:
            status = "unhealthy"
            log.warning("health.check_failed", check=name, error=repr(error))
        elapsed = (time.perf_counter() - started) * 1000
        return HealthCheck.model_validate(
            {"status": status, "response_time_ms": round(elapsed, 2), "timestamp": utc_timestamp()}
        )

    async def _ping_database(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _ping_cache(self) -> None:
        await self._cache.ping()

    async def report(self) -> HealthRead:
        database, cache = await asyncio.gather(
            self._timed("database", self._ping_database),
            self._timed("cache", self._ping_cache),
        )
        healthy = database.status == cache.status == "healthy"
        return HealthRead(
            status="healthy" if healthy else "degraded",
            version=service_version(),
            timestamp=utc_timestamp(),
            checks=HealthChecks(database=database, cache=cache),
        )

    async def readiness(self) -> ReadinessRead:
        """Ready when the database answers and its schema is at head; raises DatabaseNotReady."""

        async def current_revision() -> str | None:
            async with self._engine.connect() as connection:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return result.scalar_one_or_none()

        try:
            revision = await asyncio.wait_for(current_revision(), timeout=self._timeout)
        except Exception as error:
            log.warning("health.not_ready", error=repr(error))
            raise DatabaseNotReady("the database does not answer") from None
        head = head_revision()
        if revision != head:
            raise DatabaseNotReady(f"the schema is at revision {revision}, expected {head}")
        return ReadinessRead(schema_revision=revision)
