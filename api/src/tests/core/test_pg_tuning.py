"""The embedded PostgreSQL's memory settings: sized from the machine, applied once, kept."""

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from app.core.embedded import EmbeddedServers
from app.core.pg_tuning import apply_settings, memory_settings

GIB = 2**30


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (
            24 * GIB,
            {
                "shared_buffers": "6144MB",
                "effective_cache_size": "18432MB",
                "work_mem": "48MB",
                "maintenance_work_mem": "768MB",
            },
        ),
        (
            GIB // 2,
            {
                "shared_buffers": "128MB",
                "effective_cache_size": "384MB",
                "work_mem": "4MB",
                "maintenance_work_mem": "64MB",
            },
        ),
        (
            256 * GIB,
            {
                "shared_buffers": "8192MB",
                "effective_cache_size": "196608MB",
                "work_mem": "64MB",
                "maintenance_work_mem": "2048MB",
            },
        ),
    ],
)
def test_memory_settings_follow_the_machine_within_bounds(
    total: int, expected: dict[str, str]
) -> None:
    settings = memory_settings(total)

    assert {name: settings[name] for name in expected} == expected
    assert settings["shared_preload_libraries"] == "pg_prewarm"


@pytest.fixture
async def tuned_url() -> AsyncIterator[str]:
    """The URL of an embedded PostgreSQL started as `wump serve` starts it (tuned)."""
    # Outside pytest's temporary root, which another worker may make private again.
    directory = Path(tempfile.mkdtemp(prefix="wump-tuning-"))
    servers = EmbeddedServers(directory, database=True, cache=False, tune=True)
    try:
        urls = await servers.start()
        assert urls.database_url is not None
        yield urls.database_url
    finally:
        servers.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def _show(url: str, *names: str) -> list[str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return [await connection.fetchval(f"SHOW {name}") for name in names]
    finally:
        await connection.close()


async def test_started_server_runs_with_the_machine_sized_settings(tuned_url: str) -> None:
    url = tuned_url
    wanted = memory_settings(psutil.virtual_memory().total)

    shared, preload, work_mem = await _show(
        url, "shared_buffers", "shared_preload_libraries", "work_mem"
    )
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        same_buffers = await connection.fetchval(
            "SELECT pg_size_bytes($1) = pg_size_bytes($2)", shared, wanted["shared_buffers"]
        )
        same_work_mem = await connection.fetchval(
            "SELECT pg_size_bytes($1) = pg_size_bytes($2)", work_mem, wanted["work_mem"]
        )
    finally:
        await connection.close()
    assert same_buffers
    assert same_work_mem
    assert preload == "pg_prewarm"
    # Applying what already runs asks for no second restart.
    assert await apply_settings(url, wanted) is False


async def test_a_setting_read_at_start_asks_for_a_restart_and_a_reloadable_one_does_not(
    tuned_url: str,
) -> None:
    url = tuned_url

    assert await apply_settings(url, {"work_mem": "7MB"}) is False
    assert await apply_settings(url, {"shared_buffers": "144MB"}) is True
