"""A cached answer sent before routing looks like the route's own: headers, 304, metrics."""

import pytest
from httpx import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.cache_first import MEMO_SIZE, CacheFirstMiddleware
from app.core.config import Settings
from tests.api._auth import issue_key
from tests.api.v1.test_cache_first import without_sessions
from tests.clients import app_client
from tests.metrics_support import value

USERS = "/api/v1/packages/pypi/django/users"
USERS_ROUTE = "/api/v1/packages/{ecosystem}/{name}/users"

pytestmark = pytest.mark.usefixtures("dataset", "cache")


def _names(response: Response) -> list[str]:
    return [name.decode() for name, _ in response.headers.raw]


async def test_a_cached_answer_carries_the_routes_headers_in_their_order(
    settings: Settings, session: AsyncSession
) -> None:
    cors = settings.model_copy(update={"cors_origins": ["https://example.org"]})
    origin = {"Origin": "https://example.org"}
    async with app_client(cors, session) as (app, client):
        # A key the cache does not know yet is vouched for by the database: the route answers.
        key = await issue_key(app, session)
        routed = await client.get(USERS, headers={**origin, "X-API-Key": key.key})
        cached = await client.get(USERS, headers=origin)
        routed_304 = await client.get(
            USERS,
            headers={**origin, "X-API-Key": key.key, "If-None-Match": routed.headers["etag"]},
        )
        cached_304 = await client.get(
            USERS, headers={**origin, "If-None-Match": routed.headers["etag"]}
        )

    assert (routed.status_code, cached.status_code) == (200, 200)
    assert cached.content == routed.content
    assert _names(cached) == _names(routed)
    assert "access-control-allow-origin" in _names(cached)
    for name in ("etag", "content-type", "content-length", "x-content-type-options"):
        assert cached.headers[name] == routed.headers[name]
    assert (routed_304.status_code, cached_304.status_code) == (304, 304)
    assert cached_304.content == b""
    assert _names(cached_304) == _names(routed_304)


async def test_a_cached_answer_counts_under_its_route_template(
    settings: Settings, session: AsyncSession
) -> None:
    labels = {"route": USERS_ROUTE, "method": "GET", "status": "200"}
    async with app_client(settings, session) as (_, client):
        await client.get(USERS)
        before = (await client.get("/metrics")).text
        cached = await client.get(USERS)
        after = (await client.get("/metrics")).text

    assert cached.status_code == 200
    counted = "wump_http_requests_total"
    assert value(after, counted, **labels) == value(before, counted, **labels) + 1
    hits = {"kind": "users"}
    assert value(after, "wump_cache_hits_total", **hits) == (
        value(before, "wump_cache_hits_total", **hits) + 1
    )


async def test_only_the_cache_first_routes_the_router_would_pick_are_answered_early(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, _):
        middleware = CacheFirstMiddleware(app)
        templates = {
            path: _matched(middleware, app, path)
            for path in (
                USERS,
                "/api/v1/packages/npm/@scope/name/users",
                "/api/v1/packages/pypi/django",
                "/api/v1/packages/pypi/django/events",
                "/api/v1/packages/pypi/django/events.atom",
                "/api/v1/packages/pypi/django/users/acme/repositories",
                "/api/v1/packages/purl/pkg:pypi/django",
                "/api/v1/packages/nosuch/django/users",
                "/api/v1/packages",
                "/health/live",
            )
        }

    assert templates == {
        USERS: (USERS_ROUTE, {"ecosystem": "pypi", "name": "django"}),
        "/api/v1/packages/npm/@scope/name/users": (
            USERS_ROUTE,
            {"ecosystem": "npm", "name": "@scope/name"},
        ),
        "/api/v1/packages/pypi/django": (
            "/api/v1/packages/{ecosystem}/{name}",
            {"ecosystem": "pypi", "name": "django"},
        ),
        # Routes the router tries before the package's own: never answered from its cache.
        "/api/v1/packages/pypi/django/events": None,
        "/api/v1/packages/pypi/django/events.atom": None,
        "/api/v1/packages/pypi/django/users/acme/repositories": None,
        "/api/v1/packages/purl/pkg:pypi/django": None,
        "/api/v1/packages/nosuch/django/users": None,
        "/api/v1/packages": None,
        "/health/live": None,
    }


def _matched(
    middleware: CacheFirstMiddleware, app: object, path: str
) -> tuple[str, dict[str, object]] | None:
    found = middleware.match({"type": "http", "method": "GET", "path": path, "app": app})
    return None if found is None else (found[0].template, found[1])


async def test_a_client_asking_for_csv_gets_csv_from_the_route(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        built = await client.get(USERS)
        exported = await client.get(USERS, headers={"Accept": "text/csv"})
        without_sessions(app)
        cached = await client.get(USERS)

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("login,")
    assert (cached.status_code, cached.content) == (200, built.content)


async def test_the_entries_remembered_per_url_stay_bounded(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, _):
        middleware = CacheFirstMiddleware(app)
        for number in range(MEMO_SIZE + 10):
            middleware.locate(
                {
                    "type": "http",
                    "method": "GET",
                    "path": USERS,
                    "query_string": f"min_stars={number}".encode(),
                    "headers": [],
                    "app": app,
                }
            )
        located = middleware.locate(
            {"type": "http", "method": "GET", "path": USERS, "query_string": b"", "app": app}
        )

    assert 0 < middleware.remembered <= MEMO_SIZE
    assert located is not None
    route, entry = located
    assert route.template == USERS_ROUTE
    assert entry is not None
    assert entry.kind == "users"
