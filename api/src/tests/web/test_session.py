"""A page request reads on the one session authentication opened, never on one of its own."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
from app.api.state import app_state
from app.core.config import Settings
from tests.api._auth import issue_key
from tests.api.v1.dataset import Dataset
from tests.clients import app_client


@pytest.mark.usefixtures("cache")
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=requests",
        "/packages/pypi/django",
        "/packages/pypi/django?fragment=users&sort=stars",
        "/organizations/acme",
        "/organizations/acme/uses/pypi/django",
    ],
)
async def test_a_page_request_with_a_key_uses_one_session_and_no_other_connection(
    settings: Settings, session: AsyncSession, dataset: Dataset, path: str
) -> None:
    opened: list[AsyncSession] = []
    checkouts: list[object] = []

    async def counted_session() -> AsyncIterator[AsyncSession]:
        opened.append(session)
        yield session

    def count_sessions(app: FastAPI) -> None:
        app.dependency_overrides[get_session] = counted_session

    async with app_client(settings, session, configure=count_sessions) as (app, client):
        key = (await issue_key(app, session, scopes=["read"])).key
        # The test's session runs on a connection of its own: any checkout from the app's
        # pool would be a second session beside the request's.
        pool = app_state(app).engine.sync_engine
        event.listen(pool, "checkout", lambda *args: checkouts.append(args))
        response = await client.get(path, headers={"X-API-Key": key})

    assert response.status_code == 200, response.text
    assert len(opened) == 1
    assert checkouts == []
