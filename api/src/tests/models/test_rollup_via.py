"""The rollups keep their via as one text of names and counts (migration 048): the rows, keys,
indexes and grants come through the migration both ways, and the stored text reads back as
the pairs the arrays held."""

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import migrate as migrations
from app.models.package_usage import via_pairs

_TABLES = ("package_usage", "package_kind_usage")
# One organization per via: two names, one, none.
_VIAS = (("{vite,webpack}", "{3,1}"), ("{vite}", "{2}"), (None, None))
_SEED = (
    "INSERT INTO organizations (login, owner_type)"
    " SELECT 'octo' || n, 'organization' FROM generate_series(1, 3) AS n",
    "INSERT INTO packages (ecosystem, name) VALUES ('npm', 'react')",
    "INSERT INTO package_usage (package_id, organization_id, login_key, owner_is_user,"
    " repository_count, total_stars, latest_push, languages, kinds, readiness, sort_indexed,"
    " via, via_counts)"
    " SELECT p.id, o.id, o.login, false, 1, 7, '2026-11-01', 'TypeScript', 1, 40, o.id = 1,"
    " CAST(v.via AS varchar(500)[]), CAST(v.counts AS integer[])"
    " FROM packages p, organizations o JOIN (SELECT * FROM unnest("
    "  CAST(:vias AS text[]), CAST(:counts AS text[])) WITH ORDINALITY AS v(via, counts, n))"
    "  AS v ON v.n = o.id",
    "INSERT INTO package_kind_usage (package_id, organization_id, total_stars, latest_push,"
    " repository_count, transitive_repository_count, kind, kinds, languages, via, via_counts)"
    " SELECT package_id, organization_id, total_stars, latest_push, repository_count, 1, 0,"
    " kinds, languages, via, via_counts FROM package_usage",
)
# Each table's rows as text, in a stable order, with its via as (name, count) pairs.
_ROWS = {
    "arrays": (
        "SELECT array_agg(r ORDER BY r) FROM (SELECT CAST(jsonb_strip_nulls(to_jsonb(t)"
        " - 'via' - 'via_counts' || jsonb_build_object('via', (SELECT jsonb_agg(jsonb_build_array"
        "(u.name, u.c) ORDER BY u.o) FROM unnest(t.via, t.via_counts) WITH ORDINALITY"
        " AS u(name, c, o)))) AS text) AS r FROM {} t) AS rows"
    ),
    "text": (
        "SELECT array_agg(r ORDER BY r) FROM (SELECT CAST(jsonb_strip_nulls(to_jsonb(t)"
        " - 'via' || jsonb_build_object('via', (SELECT jsonb_agg(jsonb_build_array"
        "(u.part, CAST(v.part AS integer)) ORDER BY u.o) FROM"
        " unnest(string_to_array(t.via, ' ')) WITH ORDINALITY AS u(part, o)"
        " JOIN unnest(string_to_array(t.via, ' ')) WITH ORDINALITY AS v(part, o)"
        " ON v.o = u.o + 1 WHERE u.o % 2 = 1))) AS text) AS r FROM {} t) AS rows"
    ),
}
_SCHEMA = (
    "SELECT array_agg(pg_get_indexdef(i.indexrelid) || i.indisprimary ORDER BY 1)"
    " FROM pg_index i WHERE i.indrelid = CAST(:table AS regclass)"
)


async def _state(
    engine: AsyncEngine, form: str, role: str
) -> dict[str, tuple[object, object, object]]:
    state: dict[str, tuple[object, object, object]] = {}
    async with engine.connect() as connection:
        for table in _TABLES:
            rows = await connection.scalar(text(_ROWS[form].format(table)))
            indexes = await connection.scalar(text(_SCHEMA), {"table": table})
            readable = await connection.scalar(
                text("SELECT has_table_privilege(:role, :table, 'SELECT')"),
                {"role": role, "table": table},
            )
            state[table] = (rows, indexes, readable)
    await engine.dispose()
    return state


async def test_the_via_migration_keeps_rows_indexes_and_grants_both_ways(
    database: tuple[str, AsyncEngine, str],
) -> None:
    url, engine, role = database
    await asyncio.to_thread(migrations.upgrade, url, "047")
    async with engine.begin() as connection:
        for statement in _SEED:
            await connection.execute(
                text(statement),
                {"vias": [v for v, _ in _VIAS], "counts": [c for _, c in _VIAS]},
            )
        for table in _TABLES:
            await connection.execute(text(f"GRANT SELECT ON {table} TO {role}"))
    before = await _state(engine, "arrays", role)

    await asyncio.to_thread(migrations.upgrade, url, "049")
    after = await _state(engine, "text", role)
    async with engine.connect() as connection:
        stored = list(
            await connection.scalars(text("SELECT via FROM package_usage ORDER BY organization_id"))
        )
    await engine.dispose()
    await asyncio.to_thread(migrations.downgrade, url, "047")
    again = await _state(engine, "arrays", role)

    assert isinstance(before["package_usage"][0], list)
    assert len(before["package_usage"][0]) == len(_VIAS)
    assert after == before
    assert again == before
    assert all(readable for _, _, readable in before.values())
    assert stored == ["vite 3 webpack 1", "vite 2", None]
    assert [via_pairs(via) for via in stored] == [[("vite", 3), ("webpack", 1)], [("vite", 2)], []]
