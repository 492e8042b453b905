"""Interrupted crawls resume without duplicates; stale organizations are found oldest first."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ProviderRateLimited
from app.models import Dependency, Organization
from tests.services.ingestion.conftest import (
    UpstreamFactory,
    dependency_rows,
    package_json,
    scenario,
)


def many(login: str, count: int) -> dict[str, object]:
    return {
        "login": login,
        "repositories": [
            {"name": f"r{i}", "files": {"package.json": package_json(react="^19", vue="^3")}}
            for i in range(count)
        ],
    }


async def test_crawl_stopped_by_a_rate_limit_resumes_without_duplicates(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    limited = scenario(
        many("acme", 6),
        faults=[{"kind": "primary_limit", "match": "/github/repos/acme/r5/*", "times": None}],
    )
    with pytest.raises(ProviderRateLimited):
        await upstream(limited, concurrency=1).service.ingest_organization("acme")
    # What was fetched before the limit is stored.
    assert len(await dependency_rows(session)) >= 2

    report = await upstream(scenario(many("acme", 6))).service.ingest_organization("acme")

    assert report.failures == []
    assert len(await dependency_rows(session)) == 12
    assert await session.scalar(select(func.count()).select_from(Dependency)) == 12


async def test_stale_organizations_are_listed_oldest_crawl_first(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(many("old", 1), many("older", 1), many("fresh", 1)))
    for login in ("old", "older", "fresh"):
        await fake.service.ingest_organization(login)
    now = datetime.now(UTC)
    for login, age in (("old", 3), ("older", 5), ("fresh", 0)):
        await session.execute(
            update(Organization)
            .where(Organization.login == login)
            .values(crawled_at=now - timedelta(days=age))
        )

    stale = await fake.service.list_stale_organizations(timedelta(days=1), 10)

    assert stale == ["older", "old"]
    assert await fake.service.list_stale_organizations(timedelta(days=1), 1) == ["older"]
