"""Migration 018: dependency rows keyed by (repository, package, manifest path), stored rows kept
both ways."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core import migrate as migrations
from app.core.config import Settings
from tests.conftest import scratch_database

_SEED = """
WITH o AS (INSERT INTO organizations (login, owner_type) VALUES ('octo', 'organization')
  RETURNING id),
r AS (INSERT INTO repositories (organization_id, name, full_name, github_url)
  SELECT id, 'web', 'octo/web', 'https://github.com/octo/web' FROM o RETURNING id),
p AS (INSERT INTO packages (ecosystem, name) VALUES ('npm', 'react'), ('npm', 'loose-envify')
  RETURNING id, name)
INSERT INTO dependencies (repository_id, package_id, manifest_path, requirement, version,
  dependency_type, is_direct, via, source, commit_sha)
SELECT r.id, p.id, 'package-lock.json', NULL, '1.0.0', 'runtime', p.name = 'react',
  CASE WHEN p.name = 'react' THEN NULL ELSE 'react' END, 'github', 'abc'
FROM r, p
"""
_ROWS = (
    "SELECT p.name, d.manifest_path, d.version, d.is_direct, d.via, d.source, d.commit_sha"
    " FROM dependencies d JOIN packages p ON p.id = d.package_id ORDER BY p.name"
)
_DUPLICATE = (
    "INSERT INTO dependencies (repository_id, package_id, manifest_path)"
    " SELECT repository_id, package_id, manifest_path FROM dependencies LIMIT 1"
)
_COLUMNS = (
    "SELECT array_agg(column_name::text ORDER BY column_name) FROM information_schema.columns"
    " WHERE table_name = 'dependencies'"
)
_FOREIGN_KEYS = (
    "SELECT array_agg(confrelid::regclass::text ORDER BY confrelid::regclass::text)"
    " FROM pg_constraint WHERE conrelid = 'dependencies'::regclass AND contype = 'f'"
)
_PRIMARY_KEY = (
    "SELECT array_agg(a.attname::text ORDER BY k.ordinality)"
    " FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)"
    " JOIN pg_attribute a ON a.attrelid = 'dependencies'::regclass AND a.attnum = k.attnum"
    " WHERE i.indrelid = 'dependencies'::regclass AND i.indisprimary"
)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with scratch_database(settings, "wump_dependency_key") as url:
        engine = create_async_engine(url)
        try:
            yield url, engine
        finally:
            await engine.dispose()


async def _scalar(engine: AsyncEngine, sql: str) -> object:
    async with engine.connect() as connection:
        return await connection.scalar(text(sql))


async def _rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(_ROWS))]


async def _duplicate_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text(_DUPLICATE))


async def test_dependencies_are_keyed_naturally_and_keep_their_rows_both_ways(
    engine: tuple[str, AsyncEngine],
) -> None:
    url, database = engine
    await asyncio.to_thread(migrations.upgrade, url, "017")
    async with database.begin() as connection:
        await connection.execute(text(_SEED))
    before = await _rows(database)
    await database.dispose()

    await asyncio.to_thread(migrations.upgrade, url, "018")

    assert await _rows(database) == before
    assert await _scalar(database, _PRIMARY_KEY) == [
        "repository_id",
        "package_id",
        "manifest_path",
    ]
    columns = await _scalar(database, _COLUMNS)
    assert isinstance(columns, list)
    assert {"id", "created_at", "updated_at"}.isdisjoint(columns)
    assert "detected_at" in columns
    assert await _scalar(database, _FOREIGN_KEYS) == ["repositories"]
    await _duplicate_is_refused(database)
    await database.dispose()

    await asyncio.to_thread(migrations.downgrade, url, "017")

    assert await _rows(database) == before
    assert await _scalar(database, _PRIMARY_KEY) == ["id"]
    assert await _scalar(database, _FOREIGN_KEYS) == ["packages", "repositories"]
    assert await _scalar(database, "SELECT count(DISTINCT id) FROM dependencies") == 2
    await _duplicate_is_refused(database)
