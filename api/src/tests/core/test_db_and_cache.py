"""Unit of work, connection checks and the embedded data-directory lock."""

import json
import os
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.state import app_state
from app.core.cache import check_cache_connection, create_cache
from app.core.config import Settings
from app.core.db import (
    check_database_connection,
    create_engine,
    create_session_factory,
    unit_of_work,
)
from app.core.embedded import DataDirInUse, EmbeddedServers
from app.models import Organization


async def _login_exists(engine: AsyncEngine, login: str) -> bool:
    factory = create_session_factory(engine)
    async with factory() as session:
        found = await session.scalar(select(Organization.id).where(Organization.login == login))
    return found is not None


async def test_unit_of_work_commits_when_the_caller_succeeds(engine: AsyncEngine) -> None:
    login = f"uow-{uuid.uuid4().hex[:8]}"
    factory = create_session_factory(engine)
    try:
        async for session in unit_of_work(factory):
            session.add(Organization(login=login))

        assert await _login_exists(engine, login)
    finally:
        async with factory() as session:
            await session.execute(delete(Organization).where(Organization.login == login))
            await session.commit()


async def test_unit_of_work_rolls_back_when_the_caller_fails(engine: AsyncEngine) -> None:
    login = f"uow-{uuid.uuid4().hex[:8]}"
    factory = create_session_factory(engine)
    generator = unit_of_work(factory)
    session = await anext(generator)
    session.add(Organization(login=login))
    await session.flush()

    with pytest.raises(RuntimeError):
        await generator.athrow(RuntimeError("handler failed"))

    assert not await _login_exists(engine, login)


async def _plans_of_eight_runs(engine: AsyncEngine) -> tuple[int, int]:
    """(generic, custom) plans PostgreSQL used for one prepared statement run eight times."""
    statement = text("SELECT count(*) FROM organizations WHERE login = :login")
    async with engine.connect() as connection:
        for n in range(8):
            await connection.execute(statement, {"login": f"plan-{n}"})
        generic, custom = (
            await connection.execute(
                text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE 'SELECT count(*) FROM organizations WHERE login%'"
                )
            )
        ).one()
    return generic, custom


async def test_requests_plan_every_statement_for_its_parameters(app: FastAPI) -> None:
    # After five runs PostgreSQL may keep one generic plan for a prepared statement; usage is
    # too skewed for one plan to fit every package, so the request engine never does.
    assert await _plans_of_eight_runs(app_state(app).engine) == (0, 8)


async def test_jobs_keep_generic_plans_for_their_repeated_writes(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        generic, custom = await _plans_of_eight_runs(engine)
    finally:
        await engine.dispose()

    assert generic > 0
    assert generic + custom == 8


async def test_check_database_connection_is_true_on_the_real_server(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        assert await check_database_connection(engine) is True
    finally:
        await engine.dispose()


async def test_check_database_connection_is_false_on_a_closed_port(
    settings: Settings, closed_port: int
) -> None:
    broken = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://wump@127.0.0.1:{closed_port}/wump"}
    )
    engine = create_engine(broken)
    try:
        assert await check_database_connection(engine) is False
    finally:
        await engine.dispose()


async def test_check_cache_connection_is_true_on_the_real_server(settings: Settings) -> None:
    cache = create_cache(settings)
    try:
        assert await check_cache_connection(cache) is True
        assert (await cache.info("server"))["server_name"] == "valkey"
    finally:
        await cache.aclose()


async def test_check_cache_connection_is_false_on_a_closed_port(
    settings: Settings, closed_port: int
) -> None:
    cache = create_cache(
        settings.model_copy(update={"valkey_url": f"redis://127.0.0.1:{closed_port}"})
    )
    try:
        assert await check_cache_connection(cache) is False
    finally:
        await cache.aclose()


async def test_second_holder_of_a_data_directory_gets_a_clear_error(tmp_path: Path) -> None:
    first = EmbeddedServers(tmp_path, database=False, cache=False)
    second = EmbeddedServers(tmp_path, database=False, cache=False)
    await first.start()
    try:
        with pytest.raises(DataDirInUse, match="in use by another wump process"):
            await second.start()
    finally:
        first.stop()
    await second.start()
    second.stop()


async def test_checks_outside_the_app_find_a_running_serve_on_the_data_dir(
    settings: Settings, tmp_path: Path
) -> None:
    runtime = {
        "pid": os.getpid(),
        "database_url": settings.database_url,
        "valkey_url": settings.valkey_url,
    }
    (tmp_path / "runtime.json").write_text(json.dumps(runtime))
    unset = settings.model_copy(
        update={"database_url": None, "valkey_url": None, "wump_data_dir": tmp_path}
    )
    engine = create_engine(unset)
    cache = create_cache(unset)
    try:
        assert await check_database_connection(engine) is True
        assert (await cache.info("server"))["server_name"] == "valkey"
    finally:
        await engine.dispose()
        await cache.aclose()
