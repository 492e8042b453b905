"""The embedded PostgreSQL's memory settings: sized from the machine, applied once, kept."""

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from app.core.embedded import EmbeddedServers
from app.core.pg_tuning import apply_settings, memory_settings
from app.core.prewarm import DUMP_FILE
from tests.migrated_template import copy_migrated_postgres

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
    assert settings["io_method"] == "sync"


@pytest.fixture
async def tuned_url() -> AsyncIterator[str]:
    """The URL of an embedded PostgreSQL started as `wump serve` starts it (tuned)."""
    # Outside pytest's temporary root, which another worker may make private again.
    directory = Path(tempfile.mkdtemp(prefix="wump-tuning-"))
    # A copy of the run's migrated server, untuned as a fresh one, without initdb's CPU.
    await asyncio.to_thread(copy_migrated_postgres, directory)
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

    shared, preload, work_mem, io_method = await _show(
        url, "shared_buffers", "shared_preload_libraries", "work_mem", "io_method"
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
    assert io_method == "sync"
    # Applying what already runs asks for no second restart.
    assert await apply_settings(url, wanted) is False


async def test_a_setting_read_at_start_asks_for_a_restart_and_a_reloadable_one_does_not(
    tuned_url: str,
) -> None:
    url = tuned_url

    assert await apply_settings(url, {"work_mem": "7MB"}) is False
    assert await apply_settings(url, {"shared_buffers": "144MB"}) is True


def _prewarm_processes(pgdata: Path) -> list[psutil.Process]:
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    return [
        child
        for child in psutil.Process(postmaster).children()
        if "autoprewarm" in " ".join(child.cmdline())
    ]


async def test_pg_prewarm_reloads_the_buffers_at_the_lowest_priority() -> None:
    directory = Path(tempfile.mkdtemp(prefix="wump-prewarm-"))
    await asyncio.to_thread(copy_migrated_postgres, directory)
    servers = EmbeddedServers(directory, database=True, cache=False, tune=True)
    try:
        await servers.start()
        postgres = servers.postgres
        assert postgres is not None
        # Nothing to reload after the first start: no dump yet, nothing watched.
        assert not (postgres.pgdata / DUMP_FILE).exists()
        assert [p.nice() for p in _prewarm_processes(postgres.pgdata)] == [0]

        postgres.stop()  # pg_prewarm writes down the pages its buffers hold
        assert (postgres.pgdata / DUMP_FILE).exists()
        postgres.start()

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            processes = _prewarm_processes(postgres.pgdata)
            if processes and all(p.nice() == 19 for p in processes):
                break
            await asyncio.sleep(0.1)
        assert processes
        assert [p.nice() for p in processes] == [19] * len(processes)
        assert [p.ionice().ioclass for p in processes] == [psutil.IOPRIO_CLASS_IDLE] * len(
            processes
        )
    finally:
        servers.stop()
        shutil.rmtree(directory, ignore_errors=True)
