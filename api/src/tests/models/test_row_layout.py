"""How the large tables store their rows: columns in alignment order, and the dependency kind
as an enum."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dependency import DEPENDENCY_TYPES

_WIDTHS = text(
    "SELECT attname, attlen FROM pg_attribute WHERE attrelid = CAST(:table AS regclass)"
    " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
)


@pytest.mark.parametrize(
    "table", ["package_dependents", "package_usage", "package_kind_usage", "dependencies"]
)
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


async def test_dependents_rows_have_at_most_eight_columns(session: AsyncSession) -> None:
    # A row with a NULL carries a bitmap of one bit per column after its 23-byte header: up to
    # eight columns it fits in the header's 24 bytes, from nine on the header takes 32.
    columns = (await session.execute(_WIDTHS, {"table": "package_dependents"})).all()

    assert len(columns) <= 8, columns
