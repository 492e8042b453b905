"""Fixtures of the page tests: the read API's hand-built dataset and a client of the pages."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from tests.api.v1.dataset import Dataset, load_dataset
from tests.clients import app_client


@pytest.fixture
async def web(
    settings: Settings, session: AsyncSession, cache: Redis
) -> AsyncIterator[AsyncClient]:
    unlimited = settings.model_copy(update={"rate_limit_anonymous": 1_000_000})
    async with app_client(unlimited, session) as (_, client):
        yield client


@pytest.fixture
async def dataset(session: AsyncSession) -> Dataset:
    return await load_dataset(session)
