"""A stalled PostgreSQL costs a request one bounded wait: pool, connect, ping and statement
together stay within DATABASE_STATEMENT_TIMEOUT."""

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import AsyncClient

from app.core.config import Settings
from app.core.embedded import EmbeddedPostgres
from tests.api.test_outages import _all_processes, stopped
from tests.clients import app_client
from tests.migrated_template import copy_migrated_postgres

pytestmark = pytest.mark.usefixtures("cache")

BUDGET_S = 2.0
# Generous: scheduling on a loaded machine, not the design, is what this margin covers.
MARGIN_S = 1.5


@pytest.fixture
async def stallable_postgres() -> AsyncIterator[tuple[str, int]]:
    """A migrated PostgreSQL of this test's own (outside pytest's tmp_path) and its postmaster."""
    directory = Path(tempfile.mkdtemp(prefix="wump-stall-"))
    await asyncio.to_thread(copy_migrated_postgres, directory)
    server = EmbeddedPostgres(directory)
    url = await asyncio.to_thread(server.start)
    try:
        yield url, int((server.pgdata / "postmaster.pid").read_text().split()[0])
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(directory, ignore_errors=True)


async def _timed(client: AsyncClient, url: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    response = await asyncio.wait_for(client.get(url), 15)
    return response.status_code, response.headers["content-type"], time.perf_counter() - started


async def test_a_stalled_database_answers_503_within_the_statement_timeout(
    settings: Settings, stallable_postgres: tuple[str, int]
) -> None:
    url, postmaster = stallable_postgres
    # The pool and connect timeouts are as long as the budget: without one budget over all of
    # them, their waits would add up.
    bounded = settings.model_copy(
        update={
            "database_url": url,
            "database_statement_timeout": BUDGET_S,
            "database_pool_timeout": BUDGET_S,
            "health_check_timeout": BUDGET_S,
        }
    )
    async with app_client(bounded) as (_, client):
        # Pooled connections that the stall will find idle, so the pre-ping meets it first.
        warm = [client.get(f"/api/v1/packages?q=warm{n}") for n in range(4)]
        assert {r.status_code for r in await asyncio.gather(*warm)} == {200}
        with stopped(_all_processes(postmaster)):
            one = await _timed(client, "/api/v1/packages?q=first")
            several = await asyncio.gather(
                *(_timed(client, f"/api/v1/packages?q=many{n}") for n in range(6))
            )
        after = await asyncio.wait_for(client.get("/api/v1/packages?q=after"), 15)

    for status, content_type, seconds in [one, *several]:
        assert (status, content_type) == (503, "application/problem+json")
        assert seconds < BUDGET_S + MARGIN_S, seconds
    assert after.status_code == 200
