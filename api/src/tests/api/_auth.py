"""Helpers for the auth and rate-limit tests: apps with other settings, keys in the test session."""

from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.state import app_state
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated
from app.services.api_key import ApiKeyService


def key_service(app: FastAPI, session: AsyncSession) -> ApiKeyService:
    state = app_state(app)
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
