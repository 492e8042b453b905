"""Dependency aliases that read like nouns."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.api.state import app_state
from app.core.cache import Cache
from app.core.config import Settings
from app.core.db import request_session
from app.services.health import HealthService
from app.services.jobs import JobService
from app.services.organization import OrganizationService
from app.services.package import PackageService
from app.services.portfolio import PortfolioService
from app.services.repository import RepositoryService
from app.services.stats import StatsService
from app.services.usage_cache import UsageCache
from app.services.usage_event import UsageEventService
from app.services.webhook import WebhookService

# Requests of these methods only read (and at most stamp a key's last use, one statement).
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one session, shared by authentication and the route's service; it takes a
    connection only when a query runs (an anonymous read answered from Valkey takes none), and
    commits when the request ends or rolls back on an error. A GET or HEAD runs its statements
    outside a transaction block, which saves it round trips (see app.core.db.AUTOCOMMIT)."""
    state = app_state(request)
    read_only = request.method in READ_ONLY_METHODS
    factory = state.read_only_session_factory if read_only else state.session_factory
    async for session in request_session(factory):
        yield session


async def get_settings_from_app(request: Request) -> Settings:
    return app_state(request).settings


def get_engine(request: Request) -> AsyncEngine:
    return app_state(request).engine


# Request scope: a streamed CSV answer still reads after the handler returns.
SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def commit_before_response(session: SessionDep) -> AsyncIterator[None]:
    yield
    await session.commit()


# For routers that write: scope="function" commits when the handler returns, before the
# response is sent, so a failed commit can never follow a 2xx that already left.
CommitBeforeResponse = Depends(commit_before_response, scope="function")


async def get_read_session(request: Request, session: SessionDep) -> AsyncIterator[AsyncSession]:
    """What read endpoints query: the request's session, or with a read replica
    (DATABASE_READ_URL) a session of its own on the replica, since authentication stays on the
    primary."""
    state = app_state(request)
    if state.read_engine is None:
        yield session
        return
    async for replica in request_session(state.read_session_factory):
        yield replica


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def get_cache(request: Request) -> Cache:
    return app_state(request).cache


CacheDep = Annotated[Cache, Depends(get_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]


def get_health_service(
    request: Request, engine: EngineDep, cache: CacheDep, settings: SettingsDep
) -> HealthService:
    read_engine = app_state(request).read_engine
    return HealthService(engine, cache, settings.health_check_timeout, read_engine=read_engine)


HealthServiceDep = Annotated[HealthService, Depends(get_health_service)]


# The read dependencies are coroutines: a plain function would cost a threadpool hop each.
async def get_usage_cache(request: Request) -> UsageCache:
    return UsageCache(app_state(request).cache)


UsageCacheDep = Annotated[UsageCache, Depends(get_usage_cache)]


async def get_package_service(
    session: ReadSessionDep, cache: UsageCacheDep, settings: SettingsDep
) -> PackageService:
    return PackageService(session, cache, settings)


async def get_portfolio_service(session: ReadSessionDep, settings: SettingsDep) -> PortfolioService:
    return PortfolioService(session, settings)


async def get_organization_service(
    session: ReadSessionDep, cache: UsageCacheDep, settings: SettingsDep
) -> OrganizationService:
    return OrganizationService(session, cache, settings)


async def get_repository_service(session: ReadSessionDep) -> RepositoryService:
    return RepositoryService(session)


async def get_stats_service(
    session: ReadSessionDep, cache: UsageCacheDep, settings: SettingsDep
) -> StatsService:
    return StatsService(session, cache, settings)


async def get_usage_event_service(
    session: ReadSessionDep, settings: SettingsDep
) -> UsageEventService:
    return UsageEventService(session, settings)


PackageServiceDep = Annotated[PackageService, Depends(get_package_service)]
PortfolioServiceDep = Annotated[PortfolioService, Depends(get_portfolio_service)]
UsageEventServiceDep = Annotated[UsageEventService, Depends(get_usage_event_service)]
OrganizationServiceDep = Annotated[OrganizationService, Depends(get_organization_service)]
RepositoryServiceDep = Annotated[RepositoryService, Depends(get_repository_service)]
StatsServiceDep = Annotated[StatsService, Depends(get_stats_service)]


async def get_webhook_service(session: SessionDep, settings: SettingsDep) -> WebhookService:
    return WebhookService(session, settings)


WebhookServiceDep = Annotated[WebhookService, Depends(get_webhook_service)]


async def get_job_service(request: Request) -> JobService:
    # Jobs commit their row before the queue job exists, so they use sessions of their own.
    state = app_state(request)
    return JobService(state.session_factory, state.queue)


JobServiceDep = Annotated[JobService, Depends(get_job_service)]
