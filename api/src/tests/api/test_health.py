"""GET /health, /health/live and /health/ready on real and unreachable dependencies."""

import asyncio
import re
import time
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from app.core.config import Settings
from tests.clients import app_client
from tests.conftest import scratch_database

ISO_MS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
async def hung_port() -> AsyncIterator[int]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    yield port
    for writer in held:
        writer.close()
    server.close()


async def _client_for(settings: Settings) -> AsyncIterator[AsyncClient]:
    async with app_client(settings) as (_, client):
        yield client


def _with(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


async def test_health_reports_healthy_with_both_checks(client: AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["service"] == "wump-api"
    assert body["version"]
    assert ISO_MS_Z.fullmatch(body["timestamp"])
    for name in ("database", "cache"):
        check = body["checks"][name]
        assert check["status"] == "healthy"
        assert isinstance(check["response_time_ms"], float | int)
        assert ISO_MS_Z.fullmatch(check["timestamp"])


async def test_live_and_ready_answer_200_when_dependencies_are_up(client: AsyncClient) -> None:
    live = await client.get("/health/live")
    ready = await client.get("/health/ready")

    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_unreachable_database_degrades_health_and_fails_readiness(
    settings: Settings, closed_port: int
) -> None:
    broken = _with(settings, database_url=f"postgresql+asyncpg://wump@127.0.0.1:{closed_port}/x")
    async for client in _client_for(broken):
        health = await client.get("/health")
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")

    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["checks"]["database"]["status"] == "unhealthy"
    assert health.json()["checks"]["cache"]["status"] == "healthy"
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["code"] == "database_not_ready"
    assert live.status_code == 200


async def test_unreachable_cache_degrades_health_but_stays_ready(
    settings: Settings, closed_port: int
) -> None:
    broken = _with(settings, valkey_url=f"redis://127.0.0.1:{closed_port}/0")
    async for client in _client_for(broken):
        health = await client.get("/health")
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")

    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["checks"]["cache"]["status"] == "unhealthy"
    assert health.json()["checks"]["database"]["status"] == "healthy"
    assert ready.status_code == 200
    assert live.status_code == 200


async def test_hung_dependencies_never_make_health_slower_than_the_timeout(
    settings: Settings, hung_port: int
) -> None:
    hung = _with(
        settings,
        health_check_timeout=0.5,
        database_url=f"postgresql+asyncpg://wump@127.0.0.1:{hung_port}/x",
        valkey_url=f"redis://127.0.0.1:{hung_port}/0",
    )
    async for client in _client_for(hung):
        started = time.perf_counter()
        response = await client.get("/health")
        elapsed = time.perf_counter() - started

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert {c["status"] for c in body["checks"].values()} == {"unhealthy"}
    # Both checks run concurrently, each bounded by the timeout.
    assert elapsed < 0.5 + 1.0
    assert all(c["response_time_ms"] >= 450 for c in body["checks"].values())


async def test_readiness_fails_when_schema_is_not_at_head(
    settings: Settings, engine: object
) -> None:
    async with (
        scratch_database(settings, "wump_unmigrated") as unmigrated,
        app_client(_with(settings, database_url=unmigrated)) as (_, client),
    ):
        ready = await client.get("/health/ready")
        health = await client.get("/health")

    assert ready.status_code == 503
    assert ready.json()["code"] == "database_not_ready"
    assert health.json()["checks"]["database"]["status"] == "healthy"
