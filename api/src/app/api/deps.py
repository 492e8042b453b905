"""Dependency aliases that read like nouns."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.cache import Cache, get_cache
from app.core.config import Settings
from app.core.db import unit_of_work
from app.services.health import HealthService


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in unit_of_work(request.app.state.session_factory):
        yield session


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


# scope="function": the commit runs before the response is sent, so a failed commit can
# never follow a 2xx that already left.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
CacheDep = Annotated[Cache, Depends(get_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]


def get_health_service(engine: EngineDep, cache: CacheDep, settings: SettingsDep) -> HealthService:
    return HealthService(engine, cache, settings.health_check_timeout)


HealthServiceDep = Annotated[HealthService, Depends(get_health_service)]
