"""The push-age buckets' bounds, computed once per chart, fall where PostgreSQL's interval
arithmetic puts them (calendar years, 29 February included)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories.package_chart import bucket_bounds

INTERVALS = ("30 days", "90 days", "1 year", "2 years")


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 30, 13, 5, 7, 123456, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
        datetime(2025, 3, 1, 0, 0, tzinfo=UTC),
        datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    ],
)
async def test_bounds_match_postgresql_intervals(session: AsyncSession, now: datetime) -> None:
    selected = ", ".join(f"CAST(:now AS timestamptz) - interval '{i}'" for i in INTERVALS)
    await session.execute(text("SET LOCAL timezone = 'UTC'"))
    expected = list((await session.execute(text(f"SELECT {selected}"), {"now": now})).one())

    assert bucket_bounds(now) == expected
