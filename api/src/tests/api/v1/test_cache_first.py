"""A cached users page is answered before the route's dependencies: no session, one count."""

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from fastapi import FastAPI, Request
from httpx import Response
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.cache_first import query_model
from app.api.deps import get_session
from app.api.state import app_state, set_app_state
from app.core.config import Settings
from app.schemas.package import PackageUsersQuery
from tests.api._auth import assert_problem, issue_key
from tests.clients import app_client
from tests.conftest import free_port

USERS = "/api/v1/packages/pypi/django/users"

pytestmark = pytest.mark.usefixtures("dataset", "cache")


async def _no_session() -> AsyncIterator[AsyncSession]:
    raise RuntimeError("this request was not to open a database session")
    yield  # pragma: no cover


def without_sessions(app: FastAPI) -> None:
    app.dependency_overrides[get_session] = _no_session


def _remaining(response: Response) -> int:
    return int(response.headers["x-ratelimit-remaining"])


async def test_a_cached_page_is_answered_without_a_database_session(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        built = await client.get(USERS, params={"sort": "stars", "kind": "runtime"})
        without_sessions(app)
        # The same query written another way: the same normalized cache entry.
        cached = await client.get(USERS, params={"kind": "runtime", "sort": "stars"})
        not_modified = await client.get(
            USERS,
            params={"sort": "stars", "kind": "runtime"},
            headers={"If-None-Match": built.headers["etag"]},
        )
        uncached = await client.get(USERS, params={"sort": "name"})

    assert built.status_code == cached.status_code == 200
    assert cached.content == built.content
    assert cached.headers["etag"] == built.headers["etag"]
    assert cached.headers["content-type"] == "application/json"
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    # Not cached yet: the route runs, and it needs the session the override refuses.
    assert uncached.status_code == 500


async def test_hits_and_misses_each_count_once_against_the_limit(
    settings: Settings, session: AsyncSession
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 5})
    async with app_client(limited, session) as (_, client):
        answers = [
            await client.get(USERS),  # built
            await client.get(USERS),  # cached
            await client.get(USERS, params={"format": "csv"}),  # never cached
            await client.get(USERS, params={"limit": 0}),  # invalid: the route's 422
            await client.get(USERS),
            await client.get(USERS),
        ]

    assert [r.status_code for r in answers] == [200, 200, 200, 422, 200, 429]
    assert [_remaining(r) for r in answers] == [4, 3, 2, 1, 0, 0]
    assert_problem(answers[3], 422, "validation_error")
    refused = assert_problem(answers[5], 429, "rate_limited")
    assert refused["detail"].startswith("More than 5 requests in 60 s")
    assert answers[5].headers["retry-after"] == answers[5].headers["ratelimit"].split("t=")[1]


async def test_a_key_known_to_valkey_is_answered_from_the_cache(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        key = await issue_key(app, session, rate_limit=10)
        headers = {"X-API-Key": key.key}
        # Authenticates through the database, caches the lookup and stamps the last use.
        first = await client.get(USERS, headers=headers)
        without_sessions(app)
        second = await client.get(USERS, headers=headers)
        anonymous = await client.get(USERS)

    assert first.status_code == second.status_code == anonymous.status_code == 200
    assert second.content == first.content
    assert second.headers["ratelimit-policy"] == '"free";q=10;w=60'
    assert [_remaining(first), _remaining(second)] == [9, 8]
    assert anonymous.headers["ratelimit-policy"].startswith('"anonymous"')


async def test_keys_the_cache_cannot_vouch_for_get_the_routes_answers(
    settings: Settings, session: AsyncSession
) -> None:
    closed = settings.model_copy(update={"anonymous_access": False})
    async with app_client(closed, session) as (app, client):
        reader = await issue_key(app, session)
        ingest_only = await issue_key(app, session, scopes=["ingest"])
        await client.get(USERS, headers={"X-API-Key": reader.key})
        answers = [
            await client.get(USERS),
            await client.get(USERS, headers={"X-API-Key": "wump_not-a-key"}),
            await client.get(USERS, headers={"Authorization": "Basic eDp5"}),
            await client.get(USERS, headers={"X-API-Key": ingest_only.key}),
        ]

    assert_problem(answers[0], 401, "authentication_required")
    assert_problem(answers[1], 401, "invalid_api_key")
    assert_problem(answers[2], 401, "invalid_api_key")
    assert_problem(answers[3], 403, "missing_scope")


async def test_a_bumped_generation_is_a_miss_the_route_answers(
    settings: Settings, session: AsyncSession, cache: Redis
) -> None:
    async with app_client(settings, session) as (app, client):
        await client.get(USERS)
        without_sessions(app)
        cached = await client.get(USERS)
        await cache.incr("wump:v1:gen:package:pypi:django")
        stale = await client.get(USERS)

    assert cached.status_code == 200
    # The route runs again (and here finds no session).
    assert stale.status_code == 500


async def test_a_package_is_cached_under_its_generation_and_a_404_never(
    settings: Settings, session: AsyncSession, cache: Redis
) -> None:
    async with app_client(settings, session) as (app, client):
        built = await client.get("/api/v1/packages/pypi/django")
        missing = await client.get("/api/v1/packages/pypi/no-such-package")
        without_sessions(app)
        cached = await client.get("/api/v1/packages/pypi/django")
        still_missing = await client.get("/api/v1/packages/pypi/no-such-package")
        await cache.incr("wump:v1:gen:package:pypi:django")
        stale = await client.get("/api/v1/packages/pypi/django")

    assert built.status_code == cached.status_code == 200
    assert built.json()["name"] == "django"
    assert (cached.content, cached.headers["etag"]) == (built.content, built.headers["etag"])
    assert_problem(missing, 404, "package_not_found")
    # Asked again, PostgreSQL is asked again (and here no session is to be had).
    assert still_missing.status_code == stale.status_code == 500


async def _entry_key(cache: Redis, kind: str) -> str:
    keys = await cache.keys(f"wump:v1:{kind}:package:pypi:django:*")
    assert len(keys) == 1
    key = keys[0]
    return key.decode() if isinstance(key, bytes) else str(key)


async def _raw(cache: Redis, key: str) -> bytes:
    value = await cache.get(key)
    return value if isinstance(value, bytes) else b""


async def test_a_hit_is_read_in_the_rate_limit_round_trip(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        built = await client.get(USERS)
        state = app_state(app)
        # Any read of the cache but the rate limiter's would fail now.
        unreachable = Redis(port=free_port(), socket_connect_timeout=0.2)
        set_app_state(app, replace(state, cache=unreachable))
        without_sessions(app)
        cached = await client.get(USERS)
        await unreachable.aclose()

    assert (cached.status_code, cached.content) == (200, built.content)
    assert cached.headers["x-ratelimit-remaining"]


async def test_a_hit_answers_the_etag_stored_with_its_entry(
    settings: Settings, session: AsyncSession, cache: Redis
) -> None:
    async with app_client(settings, session) as (app, client):
        built = await client.get(USERS)
        key = await _entry_key(cache, "users")
        generation, _, rest = (await _raw(cache, key)).partition(b" ")
        etag, _, body = rest.partition(b"\n")
        # The ETag is read, not computed: a hit trusts what was stored with the body.
        await cache.set(key, generation + b' "stored"\n' + body)
        without_sessions(app)
        cached = await client.get(USERS)
        not_modified = await client.get(USERS, headers={"If-None-Match": '"stored"'})

    assert etag.decode() == built.headers["etag"]
    assert body == built.content
    assert (cached.status_code, cached.content) == (200, built.content)
    assert cached.headers["etag"] == '"stored"'
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == '"stored"'


async def test_an_entry_cached_before_etags_were_stored_is_served_with_its_etag(
    settings: Settings, session: AsyncSession, cache: Redis
) -> None:
    async with app_client(settings, session) as (app, client):
        built = await client.get(USERS)
        key = await _entry_key(cache, "users")
        generation = await _raw(cache, "wump:v1:gen:package:pypi:django") or b"0"
        await cache.set(key, generation + b"\n" + built.content)
        without_sessions(app)
        cached = await client.get(USERS)
        not_modified = await client.get(USERS, headers={"If-None-Match": built.headers["etag"]})

    assert (cached.status_code, cached.content) == (200, built.content)
    assert cached.headers["etag"] == built.headers["etag"]
    assert not_modified.status_code == 304


def _request(query: bytes) -> Request:
    return Request({"type": "http", "method": "GET", "query_string": query, "headers": []})


def test_the_query_is_read_as_fastapi_reads_a_query_model() -> None:
    query = query_model(
        _request(b"kind=peer&kind=runtime&sort=name&sort=stars&min_stars=3&include_forks=yes"),
        PackageUsersQuery,
    )

    assert query is not None
    assert query.kind == ["peer", "runtime"]
    # The last value of a repeated single parameter, as FastAPI takes it.
    assert query.sort == "stars"
    assert (query.min_stars, query.include_forks, query.limit) == (3, True, None)
    assert query_model(_request(b"min_stars=-1"), PackageUsersQuery) is None
    assert query_model(_request(b"kind=nonsense"), PackageUsersQuery) is None


async def test_a_miss_is_built_from_the_read_of_its_rate_limit_round_trip(
    settings: Settings, session: AsyncSession, cache: Redis
) -> None:
    async with app_client(settings, session) as (app, client):
        reads: list[tuple[str, ...]] = []
        state = app_state(app)
        read = state.cache.mget

        async def counted(*keys: str) -> list[bytes | str | None]:
            reads.append(keys)
            return await read(*keys)

        state.cache.mget = counted  # type: ignore[method-assign,assignment]
        built = await client.get(USERS)
        detail = await client.get("/api/v1/packages/pypi/django")
        await cache.incr("wump:v1:gen:package:pypi:django")
        rebuilt = await client.get(USERS)
        without_sessions(app)
        # Stored under the generation read before the route ran: the current one.
        cached = await client.get(USERS)

    assert built.status_code == detail.status_code == rebuilt.status_code == 200
    assert (cached.status_code, cached.content) == (200, rebuilt.content)
    # The misses were built without reading their entries again.
    assert reads == []
