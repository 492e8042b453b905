"""Migrations: a full round trip, and models that describe the same schema as migrations."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core import migrate as migrations
from app.core.config import Settings
from app.models import Base
from app.models.base import include_object
from tests.conftest import scratch_database

TABLES = {"organizations", "repositories", "packages", "dependencies", "api_keys"}
# The tables migration 022 rewrites, which 023 vacuums. Later revisions rewrite (and vacuum)
# some again; 035 and 037 copy the derived ones (package_dependents, package_usage,
# package_kind_usage) and dependencies into new tables, whose statistics start there: the
# vacuum of 036 or 038 is their one.
REWRITTEN = (
    "organizations",
    "packages",
    "repositories",
    "dependencies",
    "package_dependents",
    "package_usage",
    "package_kind_usage",
    "usage_events",
)


@pytest.fixture
async def scratch_database_url(settings: Settings) -> AsyncIterator[str]:
    """A database of its own, so the round trip never disturbs the shared one."""
    async with scratch_database(settings, "wump_migrations") as url:
        yield url


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_upgrade_downgrade_base_upgrade_round_trip(scratch_database_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, scratch_database_url)
    assert await _tables(scratch_database_url) >= TABLES

    await asyncio.to_thread(migrations.downgrade, scratch_database_url, "base")
    assert await _tables(scratch_database_url) == set()

    await asyncio.to_thread(migrations.upgrade, scratch_database_url)
    assert await _tables(scratch_database_url) >= TABLES


async def test_models_and_migrations_describe_the_same_schema(settings: Settings) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = create_async_engine(str(settings.database_url))
    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    await engine.dispose()

    assert diff == []


async def test_replicas_migrating_at_once_do_not_race(scratch_database_url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": scratch_database_url, "LOG_FORMAT": "json"}
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "migrate",
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = await asyncio.wait_for(asyncio.gather(*(r.communicate() for r in replicas)), 180)

    assert [r.returncode for r in replicas] == [0, 0, 0], results
    assert await _tables(scratch_database_url) >= TABLES


async def test_every_rewritten_table_is_vacuumed_and_analyzed_after_its_rewrite(
    scratch_database_url: str,
) -> None:
    await asyncio.to_thread(migrations.upgrade, scratch_database_url)

    engine = create_async_engine(scratch_database_url)
    async with engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT relname, vacuum_count, analyze_count FROM pg_stat_user_tables"
                " WHERE relname = ANY(:tables)"
            ),
            {"tables": list(REWRITTEN)},
        )
        counts = {name: (vacuums, analyzes) for name, vacuums, analyzes in result}
    await engine.dispose()

    # 023 after 022's rewrite; 036 and 038 after 035 and 037 made tables anew. Each VACUUM
    # (ANALYZE) analyzes too (some tables are analyzed by earlier revisions as well).
    vacuums = {name: counts[name][0] for name in counts}
    assert vacuums == dict.fromkeys(REWRITTEN, 1)
    assert all(analyzes >= vacuums[name] for name, (_, analyzes) in counts.items())
