"""Fixtures of the page tests: the read API's hand-built dataset and a client of the pages."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.web.deps import get_page_session
from tests.api.v1.dataset import Dataset, load_dataset
from tests.clients import app_client


@asynccontextmanager
async def page_client(settings: Settings, session: AsyncSession) -> AsyncIterator[AsyncClient]:
    """The app on `settings`; the pages' sessions join the test transaction like the API's."""

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield session

    def configure(app: FastAPI) -> None:
        app.dependency_overrides[get_page_session] = test_session

    async with app_client(settings, session, configure=configure) as (_, client):
        yield client


@pytest.fixture
async def web(
    settings: Settings, session: AsyncSession, cache: Redis
) -> AsyncIterator[AsyncClient]:
    unlimited = settings.model_copy(update={"rate_limit_anonymous": 1_000_000})
    async with page_client(unlimited, session) as client:
        yield client


@pytest.fixture
async def dataset(session: AsyncSession) -> Dataset:
    return await load_dataset(session)
