"""Ingestion test support: the service on the test transaction, talking to the fake upstream."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from app.models import Dependency, ManifestPath, Organization, Package, Repository
from app.providers import build_providers
from app.providers.fake_upstream import Scenario, create_fake_upstream
from app.providers.fake_upstream.state import FakeState
from app.services.ingestion import IngestionService
from app.services.usage_cache import UsageCache
from app.services.usage_refresh import UsageRefreshService
from tests.providers.conftest import RecordingSleep, provider_settings


@dataclass
class Upstream:
    app: Starlette
    service: IngestionService
    sleep: RecordingSleep

    def serve(self, scenario: dict[str, Any]) -> None:
        """Answer from now on from another scenario (the organization changed upstream)."""
        self.app.state.fake = FakeState(Scenario.model_validate(scenario))

    def requests(self, path_part: str = "") -> list[dict[str, Any]]:
        fake: FakeState = self.app.state.fake
        return [r for r in fake.requests if path_part in r["path"]]


class UpstreamFactory(Protocol):
    def __call__(self, scenario: dict[str, Any], **settings: Any) -> Upstream: ...


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test transaction: each service commit releases a savepoint."""
    return async_sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
async def upstream(
    session_factory: async_sessionmaker[AsyncSession], cache: Redis
) -> AsyncIterator[UpstreamFactory]:
    opened: list[httpx.AsyncClient] = []

    def build(scenario: dict[str, Any], **settings: Any) -> Upstream:
        app = create_fake_upstream(Scenario.model_validate(scenario))
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
        opened.append(http)
        sleep = RecordingSleep()
        concurrency = settings.pop("concurrency", 4)
        record_events = settings.pop("record_events", True)
        registry = build_providers(provider_settings(**settings), http, None, sleep=sleep)
        service = IngestionService(
            session_factory,
            registry,
            UsageCache(cache),
            concurrency=concurrency,
            record_events=record_events,
        )
        return Upstream(app, service, sleep)

    yield build
    for http in opened:
        await http.aclose()


@asynccontextmanager
async def committed_login(engine: AsyncEngine, prefix: str) -> AsyncIterator[str]:
    """A login of its own for writes that commit; its rows (and packages named after it) are
    removed afterwards."""
    login = f"{prefix}-{uuid.uuid4().hex[:12]}"
    yield login
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        owned = select(Repository.id).join(Organization).where(Organization.login == login)
        ids = list((await session.execute(owned)).scalars())
        await session.execute(delete(Organization).where(Organization.login == login))
        await UsageRefreshService(session).refresh_repositories(ids)
        await session.execute(delete(Package).where(Package.name.startswith(login)))
        await session.flush()


Row = tuple[Any, ...]


async def dependency_rows(session: AsyncSession, owner: str | None = None) -> list[Row]:
    """(repository, ecosystem, package, manifest path, requirement, type, direct, source)."""
    query = (
        select(
            Repository.full_name,
            Package.ecosystem,
            Package.name,
            ManifestPath.path,
            Dependency.requirement,
            Dependency.dependency_type,
            Dependency.is_direct,
            Dependency.source,
        )
        .join(Repository, Repository.id == Dependency.repository_id)
        .join(Package, Package.id == Dependency.package_id)
        .join(ManifestPath, ManifestPath.id == Dependency.manifest_path_id)
        .order_by(Repository.full_name, ManifestPath.path, Package.name)
    )
    if owner is not None:
        query = query.join(Organization, Organization.id == Repository.organization_id).where(
            Organization.login == owner
        )
    return [tuple(row) for row in await session.execute(query)]


async def organization(session: AsyncSession, login: str) -> Organization:
    result = await session.execute(
        select(Organization)
        .where(Organization.login == login)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def repositories(session: AsyncSession) -> dict[str, Repository]:
    result = await session.execute(select(Repository).execution_options(populate_existing=True))
    return {r.full_name: r for r in result.scalars()}


def package_json(**dependencies: str) -> str:
    body = ", ".join(f'"{name}": "{spec}"' for name, spec in dependencies.items())
    return '{"dependencies": {' + body + "}}"


def scenario(*organizations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"organizations": list(organizations), **extra}
