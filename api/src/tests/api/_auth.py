"""Helpers for the auth and rate-limit tests: apps with other settings, keys in the test session."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
from app.core.config import Settings
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated
from app.services.api_key import ApiKeyService
from tests.conftest import build_app


@asynccontextmanager
async def client_for(
    settings: Settings, session: AsyncSession, client: tuple[str, int] = ("127.0.0.1", 50000)
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """The app built on `settings`, its unit of work joined to the test transaction."""
    app = build_app(settings)

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = test_session
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False, client=client)
        async with AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http


def key_service(app: FastAPI, session: AsyncSession) -> ApiKeyService:
    state = app.state
    return ApiKeyService(session, state.api_key_secret, state.settings, state.key_cache)


async def issue_key(app: FastAPI, session: AsyncSession, **fields: Any) -> ApiKeyCreated:
    request = ApiKeyCreate.model_validate({"name": "test key", **fields})
    return await key_service(app, session).create(request, created_by="test")


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:wump:problem:{code}"
    return body
