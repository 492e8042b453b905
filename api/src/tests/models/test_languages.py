"""Repositories' languages are stored once, in `languages`, and package_dependents rows name
them by id (migration 045): the rows, key and grants come through the migration both ways, and
whoever writes a repository, by any statement, adds its language to the dictionary once."""

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core import migrate as migrations

_LANGUAGES = ("TypeScript", "typescript", None)
_SEED = (
    "INSERT INTO organizations (login, owner_type) VALUES ('octo', 'organization')",
    "INSERT INTO repositories (organization_id, name, full_name, github_url, primary_language)"
    " SELECT o.id, 'r' || l.n, 'octo/r' || l.n, 'https://github.com/octo/r' || l.n, l.name"
    " FROM organizations o, unnest(CAST(:languages AS varchar[])) WITH ORDINALITY AS l(name, n)",
    "INSERT INTO packages (ecosystem, name) VALUES ('npm', 'react'), ('npm', 'jest')",
    "INSERT INTO package_dependents (package_id, repository_id, organization_id, stars, flags,"
    " primary_language, pushed_at, via)"
    " SELECT p.id, r.id, r.organization_id, 7, 1 | 1048576 | 2097152, r.primary_language,"
    " '2026-11-01', CASE p.name WHEN 'jest' THEN 'vite' END"
    " FROM repositories r, packages p",
)
# Each row with its language's name, whichever way the table names it.
_ROWS_BY_NAME = (
    "SELECT array_agg(r ORDER BY r) FROM (SELECT CAST(jsonb_strip_nulls(to_jsonb(pd)"
    " - 'language_id' || jsonb_build_object('primary_language', {name})) AS text) AS r"
    " FROM package_dependents pd) AS rows"
)
_WITH_NAMES = _ROWS_BY_NAME.format(name="pd.primary_language")
_WITH_IDS = _ROWS_BY_NAME.format(
    name="(SELECT l.name FROM languages l WHERE l.id = pd.language_id)"
)
_PRIMARY_KEY = (
    "SELECT array_agg(a.attname::text ORDER BY k.ordinality)"
    " FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)"
    " JOIN pg_attribute a ON a.attrelid = 'package_dependents'::regclass"
    " AND a.attnum = k.attnum"
    " WHERE i.indrelid = 'package_dependents'::regclass AND i.indisprimary"
)
# The columns of the filter index, key and included, as PostgreSQL prints them.
_FILTER_INDEX = (
    "SELECT array_agg(pg_get_indexdef(i.indexrelid, k, false) ORDER BY k)"
    " FROM pg_index i, generate_series(1, i.indnatts) AS k"
    " WHERE i.indexrelid = 'ix_package_dependents_filter'::regclass"
)


async def _scalar(engine: AsyncEngine, sql: str) -> object:
    async with engine.connect() as connection:
        value = await connection.scalar(text(sql))
    await engine.dispose()
    return value


async def test_the_languages_migration_keeps_rows_key_and_grants_both_ways(
    database: tuple[str, AsyncEngine, str],
) -> None:
    url, engine, role = database
    await asyncio.to_thread(migrations.upgrade, url, "044")
    async with engine.begin() as connection:
        for statement in _SEED:
            await connection.execute(text(statement), {"languages": list(_LANGUAGES)})
        await connection.execute(text(f"GRANT SELECT ON package_dependents TO {role}"))
    before = await _scalar(engine, _WITH_NAMES)

    await asyncio.to_thread(migrations.upgrade, url, "046")
    after = await _scalar(engine, _WITH_IDS)
    languages = await _scalar(engine, "SELECT array_agg(name ORDER BY id) FROM languages")
    key = await _scalar(engine, _PRIMARY_KEY)
    indexed = await _scalar(engine, _FILTER_INDEX)
    readable = await _scalar(
        engine,
        f"SELECT has_table_privilege('{role}', 'package_dependents', 'SELECT')"
        f" AND has_table_privilege('{role}', 'languages', 'SELECT')",
    )
    await asyncio.to_thread(migrations.downgrade, url, "044")
    again = await _scalar(engine, _WITH_NAMES)
    still_readable = await _scalar(
        engine, f"SELECT has_table_privilege('{role}', 'package_dependents', 'SELECT')"
    )
    gone = await _scalar(
        engine,
        "SELECT to_regclass('languages') IS NULL AND NOT EXISTS"
        " (SELECT FROM pg_trigger WHERE tgname LIKE 'repositories_languages%')",
    )

    assert isinstance(before, list)
    assert len(before) == 2 * len(_LANGUAGES)
    assert after == before
    assert again == before
    # Each spelling once, in byte order.
    assert languages == ["TypeScript", "typescript"]
    assert key == ["repository_id", "package_id"]
    assert indexed == [
        "package_id",
        "language_id",
        "stars",
        "organization_id",
        "pushed_at",
        "flags",
    ]
    assert readable is True
    assert still_readable is True
    assert gone is True


async def test_every_written_repository_adds_its_language_once(
    session: AsyncSession,
) -> None:
    name = f"Lang{uuid.uuid4().hex[:8]}"
    renamed = f"{name}-renamed"
    await session.execute(
        text("INSERT INTO organizations (login, owner_type) VALUES (:login, 'organization')"),
        {"login": f"octo-{name}"},
    )
    # Two repositories naming one new language, in one statement.
    await session.execute(
        text(
            "INSERT INTO repositories (organization_id, name, full_name, github_url,"
            " primary_language)"
            " SELECT o.id, n, o.login || '/' || n, 'https://github.com/' || o.login || '/' || n,"
            " :name FROM organizations o, unnest(ARRAY['a', 'b']) AS n WHERE o.login = :login"
        ),
        {"name": name, "login": f"octo-{name}"},
    )
    # One of them renamed to another, by an update.
    await session.execute(
        text("UPDATE repositories SET primary_language = :renamed WHERE full_name = :full_name"),
        {"renamed": renamed, "full_name": f"octo-{name}/a"},
    )
    stored = await session.execute(
        text("SELECT name, count(*) FROM languages WHERE name IN (:name, :renamed) GROUP BY 1"),
        {"name": name, "renamed": renamed},
    )

    assert dict(stored.tuples().all()) == {name: 1, renamed: 1}


async def test_a_role_that_writes_repositories_needs_no_grant_on_languages(
    database: tuple[str, AsyncEngine, str],
) -> None:
    url, engine, role = database
    await asyncio.to_thread(migrations.upgrade, url)
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO organizations (login, owner_type) VALUES ('octo', 'organization')")
        )
        await connection.execute(text(f"GRANT SELECT, INSERT ON repositories TO {role}"))
        await connection.execute(text(f"GRANT SELECT ON organizations TO {role}"))
        await connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        await connection.execute(text(f"SET LOCAL ROLE {role}"))
        await connection.execute(
            text(
                "INSERT INTO repositories (organization_id, name, full_name, github_url,"
                " primary_language) SELECT id, 'web', 'octo/web', 'https://github.com/octo/web',"
                " 'Gleam' FROM organizations"
            )
        )
    stored = await _scalar(engine, "SELECT array_agg(name) FROM languages")
    writable = await _scalar(engine, f"SELECT has_table_privilege('{role}', 'languages', 'INSERT')")

    assert stored == ["Gleam"]
    assert writable is False
