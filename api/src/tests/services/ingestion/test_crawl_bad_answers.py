"""Upstream answers that make no sense for one repository fail that repository, not the crawl."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.providers import build_providers
from app.providers.fake_upstream import Scenario, create_fake_upstream
from app.services.ingestion import IngestionService
from app.services.usage_cache import UsageCache
from tests.providers.conftest import RecordingSleep, provider_settings
from tests.services.ingestion.conftest import (
    UpstreamFactory,
    dependency_rows,
    package_json,
    repositories,
    scenario,
)


def shop() -> dict[str, Any]:
    def repository(name: str, package: str) -> dict[str, Any]:
        return {"name": name, "files": {"package.json": package_json(**{package: "^1.0.0"})}}

    return {
        "login": "shop",
        "repositories": [
            repository("cart", "left-pad"),
            repository("till", "is-odd"),
            repository("shelf", "is-even"),
            repository("door", "chalk"),
        ],
    }


def wrong_shape(match: str, body: str) -> dict[str, Any]:
    return {"kind": "malformed", "match": match, "times": None, "body": body}


async def test_answers_of_the_wrong_shape_fail_only_their_repositories(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    faults = [
        # Valid JSON each time, but not what GitHub sends: a commit that is a string, tree
        # entries without a usable path, file content that is a number.
        wrong_shape("/github/repos/shop/cart/git/ref/*", '{"object": "main"}'),
        wrong_shape("/github/repos/shop/till/git/trees/*", '{"tree": [{"path": 7}]}'),
        wrong_shape("/github/repos/shop/shelf/git/blobs/*", '{"encoding": "base64", "content": 5}'),
    ]
    fake = upstream(scenario(shop(), faults=faults))

    report = await fake.service.ingest_organization("shop")

    failed = {f.full_name: f.reason for f in report.failures}
    assert set(failed) == {"shop/cart", "shop/till", "shop/shelf"}
    assert "unexpected shape" in failed["shop/cart"]
    assert "unexpected shape" in failed["shop/till"]
    assert "content that is a int" in failed["shop/shelf"]
    assert report.repositories == 4
    stored = await repositories(session)
    assert {name: repo.scan_error is not None for name, repo in stored.items()} == {
        "shop/cart": True,
        "shop/till": True,
        "shop/shelf": True,
        "shop/door": False,
    }
    assert {row[2] for row in await dependency_rows(session)} == {"chalk"}


async def test_listing_fields_of_the_wrong_type_are_dropped_not_written(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    listing = (
        '[{"full_name": "shop/door", "name": "door", "language": 5, "stargazers_count": "many",'
        ' "html_url": {}, "default_branch": "main", "id": "x", "owner": {"login": ["shop"]}}]'
    )
    fake = upstream(scenario(shop(), faults=[wrong_shape("/github/orgs/shop/repos", listing)]))

    report = await fake.service.ingest_organization("shop")

    assert report.failures == []
    door = (await repositories(session))["shop/door"]
    assert (door.primary_language, door.stars, door.scan_error) == (None, 0, None)
    assert {row[2] for row in await dependency_rows(session)} == {"chalk"}


ServeUpstream = Callable[[dict[str, Any]], Awaitable[IngestionService]]


@pytest.fixture
async def served_upstream(
    session_factory: async_sessionmaker[AsyncSession], cache: Redis
) -> AsyncIterator[ServeUpstream]:
    """The fake upstream served by uvicorn on a port: a cut-short body needs a real connection."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    clients: list[httpx.AsyncClient] = []

    async def serve(scenario: dict[str, Any]) -> IngestionService:
        app = create_fake_upstream(Scenario.model_validate(scenario))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        # Listening now: connections wait in the backlog until uvicorn accepts them.
        sock.listen()
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
        servers.append((server, asyncio.create_task(server.serve(sockets=[sock]))))
        settings = provider_settings(
            github_api_url=f"{base}/github",
            github_graphql_url=f"{base}/github/graphql",
            ecosystems_api_url=f"{base}/ecosystems/api/v1",
        )
        http = httpx.AsyncClient(timeout=10)
        clients.append(http)
        registry = build_providers(settings, http, None, sleep=RecordingSleep())
        return IngestionService(session_factory, registry, UsageCache(cache), concurrency=4)

    yield serve
    for http in clients:
        await http.aclose()
    for server, task in servers:
        server.should_exit = True
        await task


async def test_truncated_bodies_fail_one_repository_over_a_real_connection(
    served_upstream: ServeUpstream, session: AsyncSession
) -> None:
    cut = {"kind": "truncated", "match": "/github/repos/shop/till/git/*", "times": None}
    service = await served_upstream(scenario(shop(), faults=[cut]))

    report = await service.ingest_organization("shop")

    [failure] = report.failures
    assert failure.full_name == "shop/till"
    assert "failed" in failure.reason
    assert {row[2] for row in await dependency_rows(session)} == {"left-pad", "is-even", "chalk"}
