"""`/metrics` over HTTP: series by route template, no label from a hostile path, the bearer
token, no rate limit, and the cache and 429 counters."""

import pytest
from httpx import AsyncClient
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from tests.api._auth import assert_problem
from tests.clients import app_client
from tests.metrics_support import samples, value

pytestmark = pytest.mark.usefixtures("cache")

USERS_ROUTE = "/api/v1/packages/{ecosystem}/{name}/users"


async def _scrape(client: AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


async def test_a_request_counts_under_its_route_template(client: AsyncClient) -> None:
    labels = {"route": USERS_ROUTE, "method": "GET", "status": "404"}
    before = await _scrape(client)

    answer = await client.get("/api/v1/packages/npm/left-pad/users")
    after = await _scrape(client)

    assert answer.status_code == 404
    counted = "wump_http_requests_total"
    assert value(after, counted, **labels) == value(before, counted, **labels) + 1
    timed = "wump_http_request_duration_seconds_count"
    route = {"route": USERS_ROUTE, "method": "GET"}
    assert value(after, timed, **route) == value(before, timed, **route) + 1
    assert value(after, "wump_http_request_duration_seconds_bucket", le="10.0", **route) >= 1
    assert "left-pad" not in after


async def test_a_hostile_path_never_becomes_a_label(client: AsyncClient) -> None:
    hostile = [
        "/api/v1/packages/npm/zzhostile%22%7D%20evil%0A/users",
        "/zzhostile/<script>",
        "/api/v1/packages/npm/" + "zzhostile" * 50,
    ]
    before = await _scrape(client)
    for path in hostile:
        await client.get(path)
    await client.request("ZZHOSTILEMETHOD", "/health/live")
    after = await _scrape(client)

    assert "zzhostile" not in after.lower()
    counted = "wump_http_requests_total"
    # The four requests and the first scrape, each under a bounded label set.
    assert sum(samples(after, counted).values()) == sum(samples(before, counted).values()) + 5
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, counted, **unmatched) > value(before, counted, **unmatched)
    other = {"route": "/health/live", "method": "OTHER", "status": "405"}
    assert value(after, counted, **other) == value(before, counted, **other) + 1
    routes = {dict(labels)["route"] for labels in samples(after, counted)}
    assert all(route == "unmatched" or route.startswith("/") for route in routes)
    methods = {dict(labels)["method"] for labels in samples(after, counted)}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}


async def test_metrics_are_not_rate_limited(settings: Settings, session: AsyncSession) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 2})
    async with app_client(limited, session) as (_, client):
        answers = [await client.get("/metrics") for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200] * 5
    assert all("ratelimit" not in answer.headers for answer in answers)


async def test_a_429_counts_under_the_callers_tier(
    settings: Settings, session: AsyncSession
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 1})
    async with app_client(limited, session) as (_, client):
        before = await _scrape(client)
        await client.get("/api/v1/me")
        refused = await client.get("/api/v1/me")
        after = await _scrape(client)

    assert_problem(refused, 429, "rate_limited")
    name = "wump_rate_limited_requests_total"
    assert value(after, name, tier="anonymous") == value(before, name, tier="anonymous") + 1


async def test_token_guards_the_metrics_when_set(settings: Settings, session: AsyncSession) -> None:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("s3cret-scrape-token")})
    async with app_client(guarded, session) as (_, client):
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get(
            "/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}
        )

    assert_problem(missing, 401, "authentication_required")
    assert_problem(wrong, 401, "authentication_required")
    assert right.status_code == 200
    assert "wump_http_requests_total" in right.text


async def test_cached_reads_count_a_miss_then_a_hit(client: AsyncClient) -> None:
    before = await _scrape(client)
    first = await client.get("/api/v1/stats")
    second = await client.get("/api/v1/stats")
    after = await _scrape(client)

    assert first.status_code == second.status_code == 200
    for name in ("wump_cache_misses_total", "wump_cache_hits_total"):
        assert value(after, name, kind="stats") == value(before, name, kind="stats") + 1


async def test_queue_depth_lists_every_job_type_even_when_empty(client: AsyncClient) -> None:
    body = await _scrape(client)

    depths = samples(body, "wump_jobs_queue_depth")
    types = {dict(labels)["job_type"] for labels in depths}
    assert {"ingest_organization", "discover_package_users"} <= types
    assert {dict(labels)["status"] for labels in depths} == {"pending", "running"}
