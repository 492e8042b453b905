"""Two ingests writing shared packages at once, against committed data: both succeed."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.db import create_session_factory
from app.providers.base import ProviderRegistry
from app.services.ingestion import IngestionService
from app.services.usage_cache import UsageCache
from tests.services.ingestion.conftest import committed_login


@pytest.fixture
async def login(engine: AsyncEngine) -> AsyncIterator[str]:
    """A login of its own; these writes commit, so their rows are removed afterwards."""
    async with committed_login(engine, "race") as login:
        yield login


def manifest(root: Path, login: str, packages: list[str]) -> Path:
    root.mkdir(parents=True)
    body = ", ".join(f'"{login}-{name}": "^1.0.0"' for name in packages)
    (root / "package.json").write_text('{"dependencies": {' + body + "}}")
    return root


async def stored(engine: AsyncEngine, login: str) -> dict[str, list[str]]:
    """Package names (without the login) by repository, from dependencies and from the
    rollup the read API serves."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT 'deps ' || r.name, p.name FROM dependencies d"
                " JOIN repositories r ON r.id = d.repository_id"
                " JOIN packages p ON p.id = d.package_id WHERE r.full_name LIKE :owner"
                " UNION ALL SELECT 'rollup ' || r.name, p.name FROM package_dependents u"
                " JOIN repositories r ON r.id = u.repository_id"
                " JOIN packages p ON p.id = u.package_id WHERE r.full_name LIKE :owner"
                " ORDER BY 1, 2"
            ),
            {"owner": f"{login}/%"},
        )
        found: dict[str, list[str]] = {}
        for repository, package in rows:
            found.setdefault(repository, []).append(package.removeprefix(f"{login}-"))
        return found


async def test_ingests_sharing_packages_wait_for_each_other_and_both_succeed(
    engine: AsyncEngine, cache: Redis, login: str, tmp_path: Path
) -> None:
    factory: async_sessionmaker[AsyncSession] = create_session_factory(engine)
    service = IngestionService(factory, ProviderRegistry(), UsageCache(cache))
    await service.ingest_checkout(login, "a", manifest(tmp_path / "a1", login, ["p1", "p2", "p3"]))
    await service.ingest_checkout(login, "b", manifest(tmp_path / "b1", login, ["p3", "p4", "p5"]))
    # Both new sets share old and brand-new packages, named in opposite orders.
    a = manifest(tmp_path / "a2", login, ["p5", "p4", "p3", "new1", "new2"])
    b = manifest(tmp_path / "b2", login, ["new2", "new1", "p3", "p2"])

    async with engine.connect() as blocker:
        # Hold a shared package so both writes are in flight before either can finish.
        await blocker.execute(
            text("SELECT id FROM packages WHERE name = :name FOR UPDATE"),
            {"name": f"{login}-p3"},
        )
        writes = asyncio.gather(
            service.ingest_checkout(login, "a", a), service.ingest_checkout(login, "b", b)
        )
        for _ in range(200):
            waiting = await blocker.scalar(
                text(
                    "SELECT count(DISTINCT pid) FROM pg_locks"
                    " WHERE NOT granted AND pid <> pg_backend_pid()"
                )
            )
            if waiting and waiting >= 2:
                break
            await asyncio.sleep(0.02)
        assert waiting == 2
        await blocker.rollback()
        reports = await writes

    # Rows inserted: a gains p4, p5, new1 and new2; b gains new1, new2 and p2.
    assert [(r.repositories, r.records_processed, r.failures) for r in reports] == [
        (1, 4, []),
        (1, 3, []),
    ]
    assert await stored(engine, login) == {
        "deps a": ["new1", "new2", "p3", "p4", "p5"],
        "deps b": ["new1", "new2", "p2", "p3"],
        "rollup a": ["new1", "new2", "p3", "p4", "p5"],
        "rollup b": ["new1", "new2", "p2", "p3"],
    }


async def test_concurrent_rescans_of_two_repositories_of_one_owner_write_one_started_event(
    engine: AsyncEngine, cache: Redis, login: str, tmp_path: Path
) -> None:
    factory: async_sessionmaker[AsyncSession] = create_session_factory(engine)
    service = IngestionService(factory, ProviderRegistry(), UsageCache(cache))
    await service.ingest_checkout(login, "a", manifest(tmp_path / "a1", login, ["p1"]))
    await service.ingest_checkout(login, "b", manifest(tmp_path / "b1", login, ["p1"]))
    async with engine.begin() as connection:
        # A crawled organization: its later changes are news, counts included.
        await connection.execute(
            text("UPDATE organizations SET crawled_at = now() WHERE login = :login"),
            {"login": login},
        )
    a = manifest(tmp_path / "a2", login, ["p1", "both"])
    b = manifest(tmp_path / "b2", login, ["both", "p1"])

    async with engine.connect() as blocker:
        await blocker.execute(
            text("SELECT id FROM packages WHERE name = :name FOR UPDATE"),
            {"name": f"{login}-p1"},
        )
        writes = asyncio.gather(
            service.ingest_checkout(login, "a", a), service.ingest_checkout(login, "b", b)
        )
        for _ in range(200):
            waiting = await blocker.scalar(
                text(
                    "SELECT count(DISTINCT pid) FROM pg_locks"
                    " WHERE NOT granted AND pid <> pg_backend_pid()"
                )
            )
            if waiting and waiting >= 2:
                break
            await asyncio.sleep(0.02)
        assert waiting == 2
        await blocker.rollback()
        await writes

    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT e.event_type, e.repositories_before, e.repositories_after"
                " FROM usage_events e JOIN packages p ON p.id = e.package_id"
                " WHERE p.name = :name ORDER BY e.id"
            ),
            {"name": f"{login}-both"},
        )
        assert [tuple(row) for row in rows] == [("started", 0, 1), ("changed", 1, 2)]
