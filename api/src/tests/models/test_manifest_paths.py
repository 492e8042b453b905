"""Manifest paths are stored once, in `manifest_paths`, and dependency rows name them by id
(migration 042): the rows, key, foreign key and grants come through the migration both ways,
and a path is stored once however many rows and writers name it."""

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core import migrate as migrations
from app.models.dependency import NO_MANIFEST_PATH, NO_MANIFEST_PATH_ID
from app.repositories.ingestion.dependencies import DependencyWriter

_PATHS = ("package.json", "packages/web/package-lock.json", NO_MANIFEST_PATH)
_SEED = (
    "INSERT INTO organizations (login, owner_type) VALUES ('octo', 'organization')",
    "INSERT INTO repositories (organization_id, name, full_name, github_url)"
    " SELECT id, n, 'octo/' || n, 'https://github.com/octo/' || n FROM organizations,"
    " unnest(ARRAY['web', 'api']) AS n",
    "INSERT INTO packages (ecosystem, name) VALUES ('npm', 'react'), ('npm', 'jest')",
    "INSERT INTO dependencies (repository_id, package_id, manifest_path, requirement,"
    " dependency_type, is_direct, via, source, commit_sha)"
    " SELECT r.id, p.id, m, '^1', 'development', m <> 'packages/web/package-lock.json',"
    " CASE WHEN m = 'packages/web/package-lock.json' THEN 'vite' END, 'github', 'abc'"
    " FROM repositories r, packages p, unnest(CAST(:paths AS varchar[])) AS m",
)
# Each row with its path, whichever way the table names it.
_ROWS_BY_PATH = (
    "SELECT array_agg(r ORDER BY r) FROM (SELECT CAST(jsonb_strip_nulls(to_jsonb(d)"
    " - 'manifest_path_id' || jsonb_build_object('manifest_path', {path})) AS text) AS r"
    " FROM dependencies d) AS rows"
)
_WITH_PATHS = _ROWS_BY_PATH.format(path="d.manifest_path")
_WITH_IDS = _ROWS_BY_PATH.format(
    path="(SELECT m.path FROM manifest_paths m WHERE m.id = d.manifest_path_id)"
)
_PRIMARY_KEY = (
    "SELECT array_agg(a.attname::text ORDER BY k.ordinality)"
    " FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)"
    " JOIN pg_attribute a ON a.attrelid = 'dependencies'::regclass AND a.attnum = k.attnum"
    " WHERE i.indrelid = 'dependencies'::regclass AND i.indisprimary"
)


async def _scalar(engine: AsyncEngine, sql: str) -> object:
    async with engine.connect() as connection:
        value = await connection.scalar(text(sql))
    await engine.dispose()
    return value


async def test_the_paths_migration_keeps_rows_keys_and_grants_both_ways(
    database: tuple[str, AsyncEngine, str],
) -> None:
    url, engine, role = database
    await asyncio.to_thread(migrations.upgrade, url, "041")
    async with engine.begin() as connection:
        for statement in _SEED:
            await connection.execute(text(statement), {"paths": list(_PATHS)})
        await connection.execute(text(f"GRANT SELECT ON dependencies TO {role}"))
    before = await _scalar(engine, _WITH_PATHS)

    await asyncio.to_thread(migrations.upgrade, url, "043")
    after = await _scalar(engine, _WITH_IDS)
    paths = await _scalar(engine, "SELECT array_agg(path ORDER BY id) FROM manifest_paths")
    key = await _scalar(engine, _PRIMARY_KEY)
    readable = await _scalar(
        engine,
        f"SELECT has_table_privilege('{role}', 'dependencies', 'SELECT')"
        f" AND has_table_privilege('{role}', 'manifest_paths', 'SELECT')",
    )
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO dependencies (repository_id, package_id, manifest_path_id)"
                    " SELECT repository_id, package_id, manifest_path_id FROM dependencies"
                    " LIMIT 1"
                )
            )
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO dependencies (repository_id, package_id)"
                    " SELECT max(id) + 1, 1 FROM repositories"
                )
            )
    await engine.dispose()
    await asyncio.to_thread(migrations.downgrade, url, "041")
    again = await _scalar(engine, _WITH_PATHS)
    still_readable = await _scalar(
        engine, f"SELECT has_table_privilege('{role}', 'dependencies', 'SELECT')"
    )
    gone = await _scalar(engine, "SELECT to_regclass('manifest_paths') IS NULL")

    assert isinstance(before, list)
    assert len(before) == 2 * 2 * len(_PATHS)
    assert after == before
    assert again == before
    # The path '' is id 0; the others follow in order.
    assert paths == [NO_MANIFEST_PATH, *sorted(set(_PATHS) - {NO_MANIFEST_PATH})]
    assert key == ["repository_id", "package_id", "manifest_path_id"]
    assert readable is True
    assert still_readable is True
    assert gone is True


async def test_a_path_is_stored_once_whoever_names_it(session: AsyncSession) -> None:
    path = f"services/{uuid.uuid4().hex[:8]}/requirements.txt"
    first = await DependencyWriter(session).manifest_path_ids([path, path, NO_MANIFEST_PATH])
    again = await DependencyWriter(session).manifest_path_ids([path, "package.json"])
    stored = await session.scalar(
        text("SELECT count(*) FROM manifest_paths WHERE path = :path"), {"path": path}
    )

    assert first[NO_MANIFEST_PATH] == NO_MANIFEST_PATH_ID
    assert again[path] == first[path]
    assert stored == 1
