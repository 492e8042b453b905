"""`wump dev seed` as a real process: migrates a fresh database and loads the small dataset."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from tests.conftest import scratch_database

pytestmark = pytest.mark.e2e


@pytest.fixture
async def seed_database_url(settings: Settings) -> AsyncIterator[str]:
    async with scratch_database(settings, "wump_seed") as url:
        yield url


async def _run_seed(url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "dev",
        "seed",
        "--scale",
        "small",
        env={**os.environ, "DATABASE_URL": url, "LOG_FORMAT": "json"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, (stdout + stderr).decode()


async def test_dev_seed_loads_the_small_dataset_and_refuses_to_overwrite(
    seed_database_url: str,
) -> None:
    code, output = await _run_seed(seed_database_url)
    again, refusal = await _run_seed(seed_database_url)

    assert code == 0, output
    assert "seeded 150 organizations, 1000 repositories" in output
    assert again == 2
    assert "pass --reset to replace it" in refusal
    engine = create_async_engine(seed_database_url)
    async with engine.connect() as connection:
        used = await connection.scalar(text("SELECT max(organization_count) FROM packages"))
        rollup = await connection.scalar(text("SELECT count(*) FROM package_usage"))
    await engine.dispose()
    assert (used or 0) > 10
    assert (rollup or 0) > 0
