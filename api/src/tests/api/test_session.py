"""One database session per request: authentication and the route's service share it."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
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
