"""One database session per request: authentication and the route's service share it."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import SessionDep, get_session
from app.core.config import Settings
from tests.api._auth import issue_key
from tests.clients import app_client


@pytest.mark.usefixtures("cache")
@pytest.mark.parametrize(
    "path",
    ["/api/v1/packages?q=left", "/api/v1/organizations/acme", "/api/v1/admin/keys"],
)
async def test_a_request_with_a_key_opens_one_session(
    settings: Settings, session: AsyncSession, path: str
) -> None:
    opened: list[AsyncSession] = []

    async def counted_session() -> AsyncIterator[AsyncSession]:
        opened.append(session)
        yield session

    def count_sessions(app: FastAPI) -> None:
        app.dependency_overrides[get_session] = counted_session

    async with app_client(settings, session, configure=count_sessions) as (app, client):
        key = (await issue_key(app, session, scopes=["read", "admin"])).key
        response = await client.get(path, headers={"X-API-Key": key})

    assert response.status_code in (200, 404), response.text
    assert len(opened) == 1


async def _in_transaction_block(session: AsyncSession) -> bool:
    await session.execute(text("SELECT 1"))
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection
    return bool(driver.is_in_transaction())


def _add_probe(app: FastAPI) -> None:
    @app.api_route("/probe/transaction", methods=["GET", "POST"])
    async def probe(session: SessionDep) -> dict[str, bool]:
        return {"in_transaction_block": await _in_transaction_block(session)}


@pytest.mark.usefixtures("cache")
async def test_reads_run_outside_a_transaction_block_and_writes_inside_one(
    settings: Settings,
) -> None:
    async with app_client(settings, configure=_add_probe) as (_, client):
        read = await client.get("/probe/transaction")
        write = await client.post("/probe/transaction")

    assert read.status_code == write.status_code == 200
    # No BEGIN, COMMIT or the pre-ping's own transaction for a read.
    assert read.json() == {"in_transaction_block": False}
    assert write.json() == {"in_transaction_block": True}
