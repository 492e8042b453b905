"""A request session whose connection the database dropped after the reads ends without an error."""

from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.db import (
    create_session_factory,
    is_database_unavailable,
    request_session,
    unit_of_work,
)


async def _terminate(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def _read_then_drop(
    scope: AbstractAsyncContextManager[AsyncSession], engine: AsyncEngine
) -> None:
    async with scope as session:
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await _terminate(engine, pid)


async def test_a_request_session_survives_its_connection_being_dropped(engine: AsyncEngine) -> None:
    factory = create_session_factory(engine)
    await _read_then_drop(asynccontextmanager(request_session)(factory), engine)
    # The engine hands out a fresh connection next time.
    async with asynccontextmanager(request_session)(factory) as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_a_unit_of_work_reports_its_dropped_connection(engine: AsyncEngine) -> None:
    factory = create_session_factory(engine)
    with pytest.raises(DBAPIError):
        await _read_then_drop(asynccontextmanager(unit_of_work)(factory), engine)


async def test_a_dropped_connection_is_a_database_outage_not_a_bug(engine: AsyncEngine) -> None:
    factory = create_session_factory(engine)
    session = factory()
    try:
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await _terminate(engine, pid)
        with pytest.raises(DBAPIError) as raised:
            await session.execute(text("SELECT 1"))
    finally:
        await session.close()

    assert is_database_unavailable(raised.value)
