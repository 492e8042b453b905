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
    def __init__(
        self,
        engine: AsyncEngine,
        cache: Redis,
        timeout: float,
        *,
        read_engine: AsyncEngine | None = None,
    ) -> None:
        self._engine = engine
        self._cache = cache
        self._timeout = timeout
        self._read_engine = read_engine

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
        await self._ping(self._engine)

    async def _ping_read_replica(self) -> None:
        assert self._read_engine is not None
        await self._ping(self._read_engine)

    @staticmethod
    async def _ping(engine: AsyncEngine) -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _ping_cache(self) -> None:
        await self._cache.ping()

    async def report(self) -> HealthRead:
        probes = [
            self._timed("database", self._ping_database),
            self._timed("cache", self._ping_cache),
        ]
        if self._read_engine is not None:
            probes.append(self._timed("database_read", self._ping_read_replica))
        database, cache, *replica = await asyncio.gather(*probes)
        checks = HealthChecks(
            database=database, cache=cache, database_read=next(iter(replica), None)
        )
        healthy = all(check.status == "healthy" for check in (database, cache, *replica))
        return HealthRead(
            status="healthy" if healthy else "degraded",
            version=service_version(),
            timestamp=utc_timestamp(),
            checks=checks,
        )

    async def readiness(self) -> ReadinessRead:
        """Ready when the database answers and its schema is at head; raises DatabaseNotReady."""

        head = head_revision()
        revision = await self._revision(self._engine, "the database")
        if revision != head:
            raise DatabaseNotReady(f"the schema is at revision {revision}, expected {head}")
        if self._read_engine is not None:
            # A replica behind a migration cannot serve the new schema's reads yet.
            replica = await self._revision(self._read_engine, "the read replica")
            if replica != head:
                raise DatabaseNotReady(
                    f"the read replica's schema is at revision {replica}, expected {head}"
                )
        return ReadinessRead(schema_revision=revision)

    async def _revision(self, engine: AsyncEngine, name: str) -> str | None:
        async def current_revision() -> str | None:
            async with engine.connect() as connection:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return result.scalar_one_or_none()

        try:
            return await asyncio.wait_for(current_revision(), timeout=self._timeout)
        except Exception as error:
            log.warning("health.not_ready", database=name, error=repr(error))
            raise DatabaseNotReady(f"{name} does not answer") from None
