"""Migrations: a full round trip, and models that describe the same schema as migrations."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence

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
# The tables migration 022 rewrites, which 023 vacuums when they hold rows. Later revisions
# rewrite (and vacuum) some again; 035, 037, 040 and 042 copy some into new tables, whose
# statistics start there.
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

# Rows at 039 in the tables 040 and 042 copy (and in those they need).
_ROWS_AT_039 = (
    "INSERT INTO organizations (login, owner_type) VALUES ('octo', 'organization')",
    "INSERT INTO repositories (organization_id, name, full_name, github_url)"
    " SELECT id, 'web', 'octo/web', 'https://github.com/octo/web' FROM organizations",
    "INSERT INTO packages (ecosystem, name) VALUES ('npm', 'react')",
    "INSERT INTO dependencies (repository_id, package_id, manifest_path)"
    " SELECT r.id, p.id, 'package.json' FROM repositories r, packages p",
    "INSERT INTO package_dependents (package_id, repository_id, organization_id, owner_is_user,"
    " stars, is_fork, is_archived, kinds) SELECT p.id, r.id, r.organization_id, false, 0,"
    " false, false, 1 FROM repositories r, packages p",
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


async def _vacuums(url: str, tables: Sequence[str]) -> dict[str, tuple[int, int, float]]:
    """(vacuums, analyses, estimated rows) per table."""
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT s.relname, s.vacuum_count, s.analyze_count, c.reltuples"
                " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                " WHERE s.relname = ANY(:tables)"
            ),
            {"tables": list(tables)},
        )
        counts = {name: (vacuums, analyses, rows) for name, vacuums, analyses, rows in result}
    await engine.dispose()
    return counts


async def test_a_new_installations_tables_are_left_never_vacuumed(
    scratch_database_url: str,
) -> None:
    """Vacuumed empty, a table is taken for empty until autovacuum analyzes it again, and the
    first ingests of a new installation were planned as if every table were (three times
    slower); never vacuumed, its size is estimated from its pages as they fill."""
    await asyncio.to_thread(migrations.upgrade, scratch_database_url)

    counts = await _vacuums(scratch_database_url, REWRITTEN)

    assert counts == dict.fromkeys(REWRITTEN, (0, 0, -1.0))


async def test_a_rewritten_table_with_rows_is_vacuumed_and_analyzed_after_its_rewrite(
    scratch_database_url: str,
) -> None:
    url = scratch_database_url
    await asyncio.to_thread(migrations.upgrade, url, "039")
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        for statement in _ROWS_AT_039:
            await connection.execute(text(statement))
    await engine.dispose()

    await asyncio.to_thread(migrations.upgrade, url)
    counts = await _vacuums(url, (*REWRITTEN, "manifest_paths"))

    # 041 after 040 copied package_dependents, 043 after 042 copied dependencies and filled
    # manifest_paths; the tables no revision since rewrote, or that hold no rows, are not.
    vacuumed = {name for name, (vacuums, _, _) in counts.items() if vacuums}
    assert vacuumed == {"package_dependents", "dependencies", "manifest_paths"}
    assert all(counts[name][:2] == (1, 1) for name in vacuumed)
    assert counts["package_usage"] == (0, 0, -1.0)
