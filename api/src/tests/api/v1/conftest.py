"""Fixtures of the read API tests: the hand-built dataset and a client with no rate limit."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
from app.core.config import Settings
from tests.api.v1.dataset import Dataset, load_dataset
from tests.conftest import build_app


@pytest.fixture
def read_settings(settings: Settings) -> Settings:
    # These tests page through lists with many requests; the rate limit is tested elsewhere.
    return settings.model_copy(update={"rate_limit_anonymous": 1_000_000})


@pytest.fixture
async def api(
    read_settings: Settings, session: AsyncSession, cache: Redis
) -> AsyncIterator[AsyncClient]:
    """A client of the app on the test servers, its unit of work joined to the test transaction."""
    app: FastAPI = build_app(read_settings)

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = test_session
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def dataset(session: AsyncSession) -> Dataset:
    return await load_dataset(session)
