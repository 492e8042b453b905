"""The start's warm-up asks for the most used package's users, and a database it cannot reach
never stops the application from starting."""

import time
import uuid

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Dependency, Organization, Package, Repository
from app.services.package import PackageService
from app.services.usage_cache import UsageCache
from app.services.usage_refresh import UsageRefreshService
from tests.clients import app_client
from tests.conftest import free_port


async def _used_by(session: AsyncSession, package: Package, organizations: int) -> None:
    for number in range(organizations):
        login = f"warm-{uuid.uuid4().hex[:8]}-{number}"
        organization = Organization(login=login, owner_type="organization")
        session.add(organization)
        await session.flush()
        repository = Repository(
            organization_id=organization.id,
            name="app",
            full_name=f"{login}/app",
            github_url=f"https://github.com/{login}/app",
            stars=3,
            primary_language="Python",
            is_fork=False,
            is_archived=False,
        )
        session.add(repository)
        await session.flush()
        session.add(Dependency(repository_id=repository.id, package_id=package.id))
    await session.flush()


async def test_the_most_used_package_is_the_one_most_organizations_use(
    session: AsyncSession, settings: Settings, cache: Redis
) -> None:
    most, less = (Package(ecosystem="pypi", name=f"warm-{uuid.uuid4().hex[:8]}") for _ in "ab")
    session.add_all([most, less])
    await session.flush()
    await _used_by(session, most, 30)
    await _used_by(session, less, 2)
    await UsageRefreshService(session).refresh_packages([most.id, less.id])
    # The refresh counts in SQL; the packages loaded here would keep their counts of before.
    session.expire_all()

    found = await PackageService(session, UsageCache(cache), settings).most_used()

    assert found is not None
    assert (found.name, found.organization_count) == (most.name, 30)


async def test_an_unreachable_database_does_not_stop_the_start(settings: Settings) -> None:
    unreachable = settings.model_copy(
        update={
            "database_url": f"postgresql+asyncpg://wump@127.0.0.1:{free_port()}/wump",
            "warm_up_on_start": True,
        }
    )
    started = time.monotonic()
    async with app_client(unreachable) as (_, client):
        response = await client.get("/health/live")
    assert response.status_code == 200
    assert time.monotonic() - started < 10
