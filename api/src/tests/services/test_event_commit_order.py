"""Feeds in commit order: an event committed late by a transaction that wrote it early never
sorts behind what a reader already took; the writers really commit, on a database of their own."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.models import Dependency, Organization, Package, Repository
from app.schemas.usage_event import UsageEventRead, UsageEventsQuery
from app.services.usage_event import UsageEventService
from app.services.usage_refresh import UsageRefreshService
from tests.jobs.conftest import jobs_database, jobs_engine, jobs_template
from tests.paths import manifest_path_id

__all__ = ["jobs_database", "jobs_engine", "jobs_template"]


@pytest.fixture
def factory(jobs_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(jobs_engine, expire_on_commit=False)


@pytest.fixture
async def acme(factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """acme (crawled) with two repositories and two packages, committed; names the ids."""
    async with factory() as session, session.begin():
        acme = Organization(login="acme", owner_type="organization", crawled_at=datetime.now(UTC))
        session.add(acme)
        await session.flush()
        ids: dict[str, int] = {}
        for name in ("one", "two"):
            package = Package(ecosystem="npm", name=f"pkg-{name}")
            repository = Repository(
                organization_id=acme.id,
                name=name,
                full_name=f"acme/{name}",
                github_url=f"https://github.com/acme/{name}",
            )
            session.add_all([package, repository])
            await session.flush()
            ids[f"package-{name}"], ids[f"repository-{name}"] = package.id, repository.id
    return ids


async def start_using(session: AsyncSession, repository_id: int, package_id: int) -> None:
    session.add(
        Dependency(
            repository_id=repository_id,
            package_id=package_id,
            manifest_path_id=await manifest_path_id(session, "package.json"),
            dependency_type="runtime",
        )
    )
    await session.flush()
    events = (await UsageRefreshService(session).refresh_repositories([repository_id])).events
    assert len(events) == 1


async def feed(
    factory: async_sessionmaker[AsyncSession], settings: Settings
) -> list[UsageEventRead]:
    """acme's whole feed, newest first, one event per page."""
    items: list[UsageEventRead] = []
    cursor: str | None = None
    while True:
        async with factory() as session:
            query = UsageEventsQuery(limit=1, cursor=cursor)
            page = (
                await UsageEventService(session, settings).organization_events("acme", query).page()
            )
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items


async def waiting_on_a_lock(engine: AsyncEngine, writer: asyncio.Task[None]) -> bool:
    """Whether another session waits on a lock (True) or the writer finished first (False)."""
    for _ in range(250):
        if writer.done():
            return False
        async with engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return True
        await asyncio.sleep(0.02)
    raise AssertionError("the second writer neither waited nor finished")


async def test_an_event_committed_late_never_sorts_behind_a_page_already_read(
    factory: async_sessionmaker[AsyncSession],
    jobs_engine: AsyncEngine,
    acme: dict[str, int],
    settings: Settings,
) -> None:
    # The first writer writes its event and stays open; the second writes after it and
    # tries to commit first.
    first = factory()
    await first.begin()
    await start_using(first, acme["repository-one"], acme["package-one"])

    async def second_writer() -> None:
        async with factory() as session, session.begin():
            await start_using(session, acme["repository-two"], acme["package-two"])

    second = asyncio.create_task(second_writer())
    second_waited = await waiting_on_a_lock(jobs_engine, second)
    taken = await feed(factory, settings)
    await first.commit()
    await first.close()
    await second
    later = await feed(factory, settings)

    # A reader that took a page before finds every event new to it above what it took.
    new = [e.id for e in later if e not in taken]
    assert [e.id for e in later[: len(new)]] == new
    # The second writer waited for the first to end, then numbered its event after it.
    assert second_waited
    assert taken == []
    assert [e.package for e in later] == ["pkg-two", "pkg-one"]
    assert later[0].seq > later[1].seq


async def test_seq_follows_commit_order_while_since_still_filters_by_time(
    factory: async_sessionmaker[AsyncSession], acme: dict[str, int], settings: Settings
) -> None:
    async with factory() as session, session.begin():
        await start_using(session, acme["repository-one"], acme["package-one"])
    between = datetime.now(UTC)
    async with factory() as session, session.begin():
        await start_using(session, acme["repository-two"], acme["package-two"])

    async with factory() as session:
        recent = (
            await UsageEventService(session, settings)
            .organization_events("acme", UsageEventsQuery(since=between))
            .page()
        )

    assert [e.package for e in recent.items] == ["pkg-two"]
