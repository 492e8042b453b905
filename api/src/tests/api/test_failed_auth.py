"""Unusable keys are limited per client address, before any lookup; Valkey's pool waits."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import valkey_max_connections
from app.core.config import Settings
from app.core.rate_limit import RateLimiter, RateLimitPolicy
from app.core.security import generate_api_key
from tests.api._auth import assert_problem, issue_key
from tests.clients import app_client
from tests.conftest import TestServers as Servers

pytestmark = pytest.mark.usefixtures("cache")


async def test_an_address_presenting_unusable_keys_is_refused_before_any_lookup(
    settings: Settings, session: AsyncSession
) -> None:
    strict = settings.model_copy(update={"auth_failure_limit": 3})
    async with app_client(strict, session, client=("10.1.1.1", 1234)) as (app, client):
        good = await issue_key(app, session)
        unknown = [
            await client.get("/api/v1/me", headers={"X-API-Key": generate_api_key()})
            for _ in range(3)
        ]
        refused = await client.get("/api/v1/me", headers={"X-API-Key": generate_api_key()})
        # Refused before the lookup: even a good key waits out the window from this address.
        good_refused = await client.get("/api/v1/me", headers={"X-API-Key": good.key})
    async with app_client(strict, session, client=("10.2.2.2", 1234)) as (_, other):
        elsewhere = await other.get("/api/v1/me", headers={"X-API-Key": good.key})

    assert [response.status_code for response in unknown] == [401, 401, 401]
    body = assert_problem(refused, 429, "too_many_failed_authentications")
    assert "3 unusable keys" in body["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert good_refused.status_code == 429
    assert elsewhere.status_code == 200


async def test_anonymous_callers_are_not_counted_as_failures(
    settings: Settings, session: AsyncSession
) -> None:
    strict = settings.model_copy(update={"auth_failure_limit": 1})
    async with app_client(strict, session) as (_, client):
        answers = [(await client.get("/api/v1/me")).status_code for _ in range(3)]

    assert answers == [200, 200, 200]


def test_valkey_pool_is_sized_from_the_database_pool_and_the_worker() -> None:
    settings = Settings(
        _env_file=None, database_pool_size=20, database_max_overflow=10, worker_concurrency=4
    )

    assert valkey_max_connections(settings) == 20 + 10 + 4 + 8
    given = settings.model_copy(update={"valkey_max_connections": 7})
    assert valkey_max_connections(given) == 7


async def test_more_concurrent_counts_than_connections_wait_instead_of_falling_back(
    servers: Servers,
) -> None:
    limiter = RateLimiter(servers.valkey_url, max_connections=4, socket_timeout=5.0)
    policy = RateLimitPolicy("free", 1000)
    try:
        results = await asyncio.gather(*(limiter.hit(policy, "key:pool") for _ in range(64)))
        shared = limiter.is_shared
        last = await limiter.hit(policy, "key:pool")
    finally:
        await limiter.aclose()

    assert all(result.allowed for result in results)
    assert shared
    # Every count reached Valkey: none was kept in this process instead.
    assert last.remaining == 1000 - 65
