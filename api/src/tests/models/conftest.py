"""Fixtures of the migration tests."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.config import Settings
from tests.conftest import scratch_database


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[tuple[str, AsyncEngine, str]]:
    """An empty database of its own (its URL and an engine on it) and a role of its own, to be
    granted what an operator's read-only role would be, dropped afterwards."""
    role = f"wump_reader_{uuid.uuid4().hex[:12]}"
    async with scratch_database(settings, "wump_rewritten") as url:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE ROLE {role}"))
        try:
            yield url, engine, role
        finally:
            async with engine.begin() as connection:
                await connection.execute(text(f"DROP OWNED BY {role}"))
                await connection.execute(text(f"DROP ROLE {role}"))
            await engine.dispose()
