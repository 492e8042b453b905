"""package_dependents keeps its kinds and yes/no attributes in one integer, `flags` (migration
040): the rows come through the migration both ways with the bits the models read, the planner
estimates a condition on a flag from its statistics, and the bits reach SQL as literals, so a
partial index's predicate is provable whatever plan a statement is prepared with."""

import asyncio
import json

import pytest
from sqlalchemy import ColumnElement, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core import migrate as migrations
from app.models import PackageDependent
from app.models.package_usage import (
    ARCHIVED,
    DIRECT,
    FILTER_INDEXED,
    FLAG_BITS,
    FORK,
    NOISE,
    OWNER_IS_USER,
    default_view_sql,
    flag_sql,
    has_flag,
    lacks_flag,
)
from app.repositories.package_usage import DependentFilter, dependent_conditions

_pd = PackageDependent.__table__

# The boolean columns before 040, with the bits the models read them from.
_BITS = {
    "owner_is_user": OWNER_IS_USER,
    "is_fork": FORK,
    "is_archived": ARCHIVED,
    "is_noise": NOISE,
    "is_direct": DIRECT,
    "filter_indexed": FILTER_INDEXED,
}
# Rows at 039: each flag alone, all of them, none, with kinds masks of one and several kinds.
_ROWS = [
    *({name: name == flag for name in _BITS} | {"kinds": 1} for flag in _BITS),
    dict.fromkeys(_BITS, True) | {"kinds": 4095},
    dict.fromkeys(_BITS, False) | {"kinds": 0b1010},
]
_TABLE_ROWS = (
    "SELECT array_agg(CAST(jsonb_strip_nulls(to_jsonb(t)) AS text) ORDER BY t.repository_id)"
    " FROM package_dependents t"
)


def _sql(element: ColumnElement[bool], dialect: Dialect, *, literal: bool = False) -> str:
    return str(element.compile(dialect=dialect, compile_kwargs={"literal_binds": literal}))


async def _read(engine: AsyncEngine, sql: str, role: str) -> tuple[object, bool]:
    async with engine.connect() as connection:
        rows = await connection.scalar(text(sql))
        readable = await connection.scalar(
            text("SELECT has_table_privilege(:role, 'package_dependents', 'SELECT')"),
            {"role": role},
        )
    await engine.dispose()
    return rows, bool(readable)


async def test_the_flags_migration_keeps_rows_key_and_grants_both_ways(
    database: tuple[str, AsyncEngine, str],
) -> None:
    url, engine, role = database
    await asyncio.to_thread(migrations.upgrade, url, "039")
    async with engine.begin() as connection:
        for number, row in enumerate(_ROWS, start=1):
            await connection.execute(
                text(
                    "INSERT INTO package_dependents (pushed_at, package_id, repository_id,"
                    f" organization_id, stars, kinds, {', '.join(_BITS)}, primary_language, via)"
                    " VALUES ('2026-11-01', 1, :number, 3, :number, :kinds,"
                    f" {', '.join(f':{name}' for name in _BITS)}, 'Go',"
                    " CASE WHEN NOT :is_direct THEN 'gin' END)"
                ),
                {"number": number, **row},
            )
        await connection.execute(text(f"GRANT SELECT ON package_dependents TO {role}"))
    before = await _read(engine, _TABLE_ROWS, role)

    await asyncio.to_thread(migrations.upgrade, url, "041")
    flags, readable = await _read(
        engine,
        "SELECT json_agg(json_build_array(repository_id, flags) ORDER BY repository_id)"
        " FROM package_dependents",
        role,
    )
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO package_dependents (package_id, repository_id, organization_id,"
                    " stars, flags) VALUES (1, 1, 3, 0, 0)"
                )
            )
    await engine.dispose()
    await asyncio.to_thread(migrations.downgrade, url, "039")
    again = await _read(engine, _TABLE_ROWS, role)

    expected = [
        [number, row["kinds"] | sum(bit for name, bit in _BITS.items() if row[name])]
        for number, row in enumerate(_ROWS, start=1)
    ]
    assert before[1]
    assert readable
    assert json.loads(str(flags)) == expected
    assert again == before


async def test_a_condition_on_a_flag_is_estimated_from_its_statistics(
    session: AsyncSession,
) -> None:
    # One row in ten a fork: without statistics on the flag's expression, PostgreSQL would
    # estimate `(flags & FORK) = 0` to keep half a percent of the rows.
    await session.execute(
        text(
            "INSERT INTO package_dependents (package_id, repository_id, organization_id, stars,"
            " flags) SELECT 1, n, 1, 0, CASE WHEN n % 10 = 0 THEN :fork ELSE 0 END"
            " FROM generate_series(1, 2000) AS n"
        ),
        {"fork": FORK},
    )
    await session.execute(text("ANALYZE package_dependents"))
    condition = _sql(lacks_flag(_pd.c.flags, FORK), session.get_bind().dialect)
    kept = await session.scalar(text(f"SELECT count(*) FROM package_dependents WHERE {condition}"))
    plan = await session.scalar(
        text(f"EXPLAIN (FORMAT JSON) SELECT * FROM package_dependents WHERE {condition}")
    )

    estimate = plan[0]["Plan"]["Plan Rows"]
    assert kept is not None
    assert kept >= 1800
    assert 0.8 * kept <= estimate <= 1.2 * kept, (estimate, kept)


async def test_flags_reach_sql_as_literals_spelled_as_the_indexes_spell_them(
    session: AsyncSession,
) -> None:
    dialect = session.get_bind().dialect
    indexed = _sql(has_flag(_pd.c.flags, FILTER_INDEXED), dialect)
    default_view = [_sql(c, dialect) for c in dependent_conditions(DependentFilter())]

    assert indexed == f"(package_dependents.flags & {FILTER_INDEXED}) != 0"
    assert default_view[:3] == [
        f"(package_dependents.flags & {bit}) != {bit}" for bit in (FORK, ARCHIVED, NOISE)
    ]
    assert default_view[-1] == f"(package_dependents.flags & {DIRECT}) != 0"


async def test_every_flag_has_statistics(session: AsyncSession) -> None:
    expressions = await session.scalar(
        text(
            "SELECT array_agg(e ORDER BY e) FROM pg_statistic_ext s,"
            " unnest(pg_get_statisticsobjdef_expressions(s.oid)) AS e"
            " WHERE s.stxname = 'st_package_dependents_flags'"
        )
    )

    assert expressions == sorted(f"(flags & {bit})" for bit in FLAG_BITS)


async def test_the_common_conditions_keep_most_rows_before_the_first_analyze(
    session: AsyncSession,
) -> None:
    """A new installation's first ingests refresh tables PostgreSQL has no statistics for yet:
    estimated to keep almost no rows (an equality's default), the default view's conditions
    turned the refresh's plans into nested loops, ten times slower. A table of the same shape
    never analyzed stands in for them here."""
    await session.execute(
        text("CREATE TEMPORARY TABLE package_dependents (LIKE public.package_dependents)")
    )
    await session.execute(
        text(
            "INSERT INTO package_dependents (package_id, repository_id, organization_id, stars,"
            " flags) SELECT 1, n, n, 0, :direct FROM generate_series(1, 2000) AS n"
        ),
        {"direct": DIRECT},
    )
    dialect = session.get_bind().dialect
    flags = [_sql(c, dialect) for c in dependent_conditions(DependentFilter())]
    api = " AND ".join(c for c in flags if "flags" in c)
    refresh = f"{default_view_sql()} AND {flag_sql(DIRECT)}"

    estimates = []
    for conditions in ("true", api, refresh):
        plan = await session.scalar(
            text(f"EXPLAIN (FORMAT JSON) SELECT * FROM package_dependents WHERE {conditions}")
        )
        estimates.append(plan[0]["Plan"]["Plan Rows"])

    everything, kept_by_api, kept_by_refresh = estimates
    assert kept_by_api >= 0.9 * everything, estimates
    assert kept_by_refresh >= 0.9 * everything, estimates
