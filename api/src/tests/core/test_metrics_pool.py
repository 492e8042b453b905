"""The engine's pool reports connections in use, overflow and waits as Prometheus series."""

import asyncio

from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.config import Settings
from app.core.db import create_engine


def _sample(name: str) -> float:
    found = REGISTRY.get_sample_value(name)
    assert found is not None, name
    return found


async def test_pool_reports_in_use_overflow_and_waits(settings: Settings) -> None:
    small = settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 1})
    engine = create_engine(small)
    waits_before = _sample("wump_db_pool_waits_total")
    try:
        first = await engine.connect()
        second = await engine.connect()
        in_use, overflow = (
            _sample("wump_db_pool_connections_in_use"),
            _sample("wump_db_pool_overflow_connections"),
        )

        async def third() -> AsyncConnection:
            return await engine.connect()

        waiting = asyncio.create_task(third())
        await asyncio.sleep(0.2)
        await first.close()
        got = await asyncio.wait_for(waiting, timeout=10)
        await got.execute(text("SELECT 1"))
        await got.close()
        await second.close()

        assert (in_use, overflow) == (2, 1)
        assert _sample("wump_db_pool_waits_total") == waits_before + 1
        assert _sample("wump_db_pool_connections_in_use") == 0
        assert _sample("wump_db_pool_overflow_connections") == 0
    finally:
        await engine.dispose()
