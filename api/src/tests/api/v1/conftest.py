"""Fixtures of the read API tests: the hand-built dataset and a client with no rate limit."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from tests.api.v1.dataset import Dataset, load_dataset
from tests.clients import app_client
from tests.services.webhooks.conftest import deliverer, hook_settings, receiver, session_factory


@pytest.fixture
def read_settings(settings: Settings) -> Settings:
    # These tests page through lists with many requests; the rate limit is tested elsewhere.
    return settings.model_copy(update={"rate_limit_anonymous": 1_000_000})


@pytest.fixture
async def api(
    read_settings: Settings, session: AsyncSession, cache: Redis
) -> AsyncIterator[AsyncClient]:
    """A client of the app on the test servers, its unit of work joined to the test transaction."""
    async with app_client(read_settings, session) as (_, client):
        yield client


@pytest.fixture
async def dataset(session: AsyncSession) -> Dataset:
    return await load_dataset(session)


__all__ = ["deliverer", "hook_settings", "receiver", "session_factory"]
