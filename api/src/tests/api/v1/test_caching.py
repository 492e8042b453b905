"""Cache-aside in Valkey, generation bumps, a Valkey outage, and ETag / If-None-Match."""

import logging
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Repository
from app.services import usage_cache
from app.services.usage_cache import UsageCache
from app.services.usage_refresh import UsageRefreshService
from tests.api.v1.dataset import Dataset
from tests.clients import app_client

USERS = "/api/v1/packages/pypi/django/users"


async def _first_stars(api: AsyncClient) -> int:
    response = await api.get(USERS, params={"sort": "stars"})
    assert response.status_code == 200
    stars: int = response.json()["items"][0]["total_stars"]
    return stars


async def test_second_request_is_served_from_valkey(
    api: AsyncClient, dataset: Dataset, session: AsyncSession, cache: Redis
) -> None:
    assert await _first_stars(api) == 2030
    assert await cache.keys("wump:v1:users:package:pypi:django:*")

    # Changed and refreshed, but no generation bump yet: the cached answer still stands.
    site = dataset.repositories["beta/site"]
    await session.execute(update(Repository).where(Repository.id == site.id).values(stars=10))
    refreshed = await UsageRefreshService(session).refresh_repositories([site.id])

    assert await _first_stars(api) == 2030

    await UsageRefreshService.bump(UsageCache(cache), refreshed)

    assert await _first_stars(api) == 625
    assert "package:pypi:django" in refreshed.scopes
    assert "organization:beta" in refreshed.scopes


async def test_filters_are_normalized_into_one_cache_key(
    api: AsyncClient, dataset: Dataset, cache: Redis
) -> None:
    await api.get(USERS, params={"kind": ["optional", "development"], "language": "PYTHON"})
    await api.get(USERS, params={"kind": ["development", "optional"], "language": "python"})

    assert len(await cache.keys("wump:v1:users:*")) == 1


async def test_organization_answers_are_invalidated_by_their_own_generation(
    api: AsyncClient, dataset: Dataset, session: AsyncSession, cache: Redis
) -> None:
    before = (await api.get("/api/v1/organizations/beta/packages")).json()
    ml = dataset.repositories["beta/ml"]
    await session.execute(update(Repository).where(Repository.id == ml.id).values(is_fork=True))
    refreshed = await UsageRefreshService(session).refresh_repositories([ml.id])
    await UsageRefreshService.bump(UsageCache(cache), refreshed)

    after = (await api.get("/api/v1/organizations/beta/packages")).json()

    assert before["items"][0]["kinds"] == ["runtime", "optional"]
    assert after["items"][0]["kinds"] == ["runtime"]


async def test_answers_cached_by_a_wump_with_other_schemas_are_not_served(
    api: AsyncClient, dataset: Dataset, cache: Redis
) -> None:
    """An upgrade that changes the answers' shape must not serve (or fail on) what the older
    version left in Valkey: its entries are keyed under its own schemas' digest."""
    older = UsageCache(cache, shape="older-schemas")

    async def old_profile() -> bytes:
        return b'{"login": "beta"}'

    scope = usage_cache.organization_scope("beta")
    await older.get_or_build("organization", scope, {}, 600, old_profile)

    profile = await api.get("/api/v1/organizations/beta")
    page = await api.get("/organizations/beta")

    assert profile.status_code == 200
    assert profile.json()["repository_count"] == 2
    assert page.status_code == 200
    assert usage_cache.answer_shape() != "older-schemas"


@pytest.fixture
async def api_without_valkey(
    read_settings: Settings, session: AsyncSession, closed_port: int
) -> AsyncIterator[AsyncClient]:
    settings = read_settings.model_copy(
        update={"valkey_url": f"redis://127.0.0.1:{closed_port}/0", "valkey_socket_timeout": 0.5}
    )
    async with app_client(settings, session) as (_, client):
        yield client


async def test_valkey_down_still_answers_and_warns_once(
    api_without_valkey: AsyncClient,
    dataset: Dataset,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(usage_cache, "_last_warning", float("-inf"))
    caplog.set_level(logging.WARNING)

    answers = [await api_without_valkey.get(USERS) for _ in range(3)]
    organization = await api_without_valkey.get("/api/v1/organizations/acme")
    stats = await api_without_valkey.get("/api/v1/stats")

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["total"] == 4
    assert organization.status_code == 200
    assert stats.status_code == 200
    warnings = [r for r in caplog.records if "cache.unavailable" in r.getMessage()]
    assert len(warnings) == 1


async def test_etag_match_returns_304_without_body(api: AsyncClient, dataset: Dataset) -> None:
    first = await api.get(USERS)
    etag = first.headers["etag"]

    again = await api.get(USERS, headers={"If-None-Match": etag})
    weak = await api.get(USERS, headers={"If-None-Match": f'"other", W/{etag}'})
    other = await api.get(USERS, headers={"If-None-Match": '"something-else"'})
    package = await api.get("/api/v1/packages/pypi/django")
    package_again = await api.get(
        "/api/v1/packages/pypi/django", headers={"If-None-Match": package.headers["etag"]}
    )

    assert etag.startswith('"')
    assert etag.endswith('"')
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert weak.status_code == 304
    assert other.status_code == 200
    assert other.json() == first.json()
    assert package_again.status_code == 304


async def test_etag_changes_when_the_answer_changes(api: AsyncClient, dataset: Dataset) -> None:
    by_repositories = await api.get(USERS)
    by_stars = await api.get(USERS, params={"sort": "stars"})

    assert by_repositories.headers["etag"] != by_stars.headers["etag"]
