"""How the large tables are stored: their columns in alignment order, the dependency kind as an
enum, and the derived tables' indexes built packed (fillfactor 100) by the migrations and by
the seed, which drops and recreates them around its bulk load."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dependency import DEPENDENCY_TYPES
from app.services.seed import SeedService

_DERIVED = ("package_dependents", "package_usage", "package_kind_usage")
_FILLFACTORS = text(
    "SELECT c.relname, coalesce((SELECT option_value FROM pg_options_to_table(c.reloptions)"
    "  WHERE option_name = 'fillfactor'), 'default')"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE i.indrelid = ANY(CAST(:tables AS regclass[]))"
)


_WIDTHS = text(
    "SELECT attname, attlen FROM pg_attribute WHERE attrelid = CAST(:table AS regclass)"
    " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
)


@pytest.mark.parametrize("table", [*_DERIVED, "dependencies"])
async def test_rows_put_the_wider_fixed_width_columns_first(
    session: AsyncSession, table: str
) -> None:
    columns = (await session.execute(_WIDTHS, {"table": table})).all()

    # Fixed-width columns by decreasing width, then the variable-length ones (attlen -1): no
    # alignment padding between them.
    widths = [max(width, 0) for _, width in columns]
    assert widths == sorted(widths, reverse=True), columns


async def test_dependency_kinds_are_an_enum_of_the_known_kinds_in_their_order(
    session: AsyncSession,
) -> None:
    labels = await session.scalar(text("SELECT enum_range(NULL::dependency_kind)::text[]"))
    column = await session.scalar(
        text(
            "SELECT atttypid::regtype::text FROM pg_attribute"
            " WHERE attrelid = 'dependencies'::regclass AND attname = 'dependency_type'"
        )
    )

    assert tuple(labels) == DEPENDENCY_TYPES
    assert column == "dependency_kind"


async def _fillfactors(session: AsyncSession, tables: tuple[str, ...]) -> dict[str, str]:
    result = await session.execute(_FILLFACTORS, {"tables": list(tables)})
    return {name: fillfactor for name, fillfactor in result}


async def test_migrations_pack_every_index_of_the_derived_tables(session: AsyncSession) -> None:
    fillfactors = await _fillfactors(session, _DERIVED)

    # Five of package_dependents, eight of package_usage, two of package_kind_usage.
    assert len(fillfactors) == 15
    assert set(fillfactors.values()) == {"100"}
    # The source tables keep PostgreSQL's default: ingestion inserts into them all along.
    assert set((await _fillfactors(session, ("dependencies",))).values()) == {"default"}


async def test_seed_rebuilds_the_derived_indexes_packed(session: AsyncSession) -> None:
    await SeedService(session).seed("small", seed=5)

    fillfactors = await _fillfactors(session, _DERIVED)

    assert len(fillfactors) == 15
    assert set(fillfactors.values()) == {"100"}
