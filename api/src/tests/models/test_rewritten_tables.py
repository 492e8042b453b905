"""Migrations 035 and 037 copy the derived tables and `dependencies` into new tables: the rows,
the keys and what was granted on them to other roles come through, both ways."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import migrate as migrations

_TABLES = ("dependencies", "package_dependents", "package_usage", "package_kind_usage")
_SEED = (
    "INSERT INTO organizations (login, owner_type) VALUES ('octo', 'organization')",
    "INSERT INTO repositories (organization_id, name, full_name, github_url, stars)"
    " SELECT id, 'web', 'octo/web', 'https://github.com/octo/web', 7 FROM organizations",
    "INSERT INTO packages (ecosystem, name) VALUES ('npm', 'react'), ('npm', 'jest')",
    "INSERT INTO dependencies (repository_id, package_id, manifest_path, requirement,"
    " dependency_type, is_direct, source, commit_sha)"
    " SELECT r.id, p.id, 'package.json', '^1', CASE p.name WHEN 'jest' THEN 'development'"
    " ELSE 'runtime' END, true, 'github', 'abc' FROM repositories r, packages p",
    "INSERT INTO package_dependents (package_id, repository_id, organization_id, owner_is_user,"
    " stars, primary_language, pushed_at, is_fork, is_archived, kinds, is_noise, is_direct,"
    " filter_indexed) SELECT p.id, r.id, r.organization_id, false, 7, 'TypeScript',"
    " '2026-11-01', false, false, 1, false, true, false FROM repositories r, packages p",
    "INSERT INTO package_usage (package_id, organization_id, login_key, owner_is_user,"
    " repository_count, total_stars, latest_push, languages, kinds, readiness, via, via_counts)"
    " SELECT p.id, o.id, 'octo', false, 1, 7, '2026-11-01', 'TypeScript', 1, 40,"
    " ARRAY['react'], ARRAY[1] FROM organizations o, packages p",
    "INSERT INTO package_kind_usage (package_id, organization_id, total_stars, latest_push,"
    " repository_count, transitive_repository_count, kind, kinds, languages)"
    " SELECT p.id, o.id, 7, '2026-11-01', 1, 0, 0, 1, 'TypeScript'"
    " FROM organizations o, packages p",
)
# Each table's rows as text, in a stable order, whatever the order of the columns.
_ROWS = (
    "SELECT array_agg(r ORDER BY r) FROM (SELECT CAST(jsonb_strip_nulls(to_jsonb(t)) AS text)"
    " AS r FROM {} t) AS rows"
)
_MISSING_REPOSITORY = (
    "INSERT INTO dependencies (repository_id, package_id, manifest_path)"
    " SELECT max(id) + 1, 1, 'Gemfile' FROM repositories"
)
_DUPLICATE = (
    "INSERT INTO package_usage (package_id, organization_id, login_key, owner_is_user,"
    " repository_count, total_stars, languages, kinds)"
    " SELECT package_id, organization_id, login_key, owner_is_user, repository_count,"
    " total_stars, languages, kinds FROM package_usage LIMIT 1"
)


async def _state(engine: AsyncEngine, role: str) -> dict[str, tuple[object, bool]]:
    state = {}
    async with engine.connect() as connection:
        for table in _TABLES:
            rows = await connection.scalar(text(_ROWS.format(table)))
            readable = await connection.scalar(
                text("SELECT has_table_privilege(:role, :table, 'SELECT')"),
                {"role": role, "table": table},
            )
            state[table] = (rows, bool(readable))
    await engine.dispose()
    return state


async def _refused(engine: AsyncEngine, statement: str) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text(statement))


async def test_rewritten_tables_keep_their_rows_keys_and_grants_both_ways(
    database: tuple[str, AsyncEngine, str],
) -> None:
    url, engine, role = database
    await asyncio.to_thread(migrations.upgrade, url, "034")
    async with engine.begin() as connection:
        for statement in _SEED:
            await connection.execute(text(statement))
        await connection.execute(text(f"GRANT SELECT ON {', '.join(_TABLES)} TO {role}"))
    before = await _state(engine, role)

    await asyncio.to_thread(migrations.upgrade, url, "038")
    after = await _state(engine, role)
    await _refused(engine, _MISSING_REPOSITORY)
    await _refused(engine, _DUPLICATE)
    await engine.dispose()
    await asyncio.to_thread(migrations.downgrade, url, "034")
    again = await _state(engine, role)

    assert all(readable for _, readable in before.values())
    # The same rows: total_stars reads the same as an integer as it did as a bigint.
    assert after == before
    assert again == before
