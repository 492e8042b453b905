"""`wump dev seed` as a real process: migrates a fresh database and loads the small dataset."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.services.usage_cache import UsageCache
from tests.conftest import scratch_database

pytestmark = pytest.mark.e2e


@pytest.fixture
async def seed_database_url(settings: Settings) -> AsyncIterator[str]:
    async with scratch_database(settings, "wump_seed") as url:
        yield url


async def _run_seed(url: str, valkey_url: str | None = None) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_FORMAT": "json"}
    if valkey_url is not None:
        env["VALKEY_URL"] = valkey_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "dev",
        "seed",
        "--scale",
        "small",
        env=env,
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


async def test_dev_seed_removes_the_cached_answers_of_the_data_it_replaced(
    seed_database_url: str, settings: Settings, cache: Redis
) -> None:
    answers = UsageCache(cache)
    await answers.bump(["package:npm:left-pad"])
    await answers.get_or_build("users", "package:npm:left-pad", {}, 600, _old_answer)
    await answers.get_or_build("stats", None, {}, 600, _old_answer)
    await cache.set("wump:ratelimit:someone", b"3")

    code, output = await _run_seed(seed_database_url, valkey_url=settings.valkey_url)

    assert code == 0, output
    assert "cleared 2 cached answers" in output
    assert await answers.get("users", "package:npm:left-pad", {}) is None
    assert await answers.get("stats", None, {}) is None
    # Only answers go: generation numbers and other keys stay.
    assert await cache.get(UsageCache.generation_key("package:npm:left-pad")) == b"1"
    assert await cache.get("wump:ratelimit:someone") == b"3"


async def _old_answer() -> bytes:
    return b'{"items": []}'
