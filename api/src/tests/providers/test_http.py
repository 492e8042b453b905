"""Shared HTTP behaviour: retries, malformed bodies, conditional requests, the User-Agent."""

import asyncio
import contextlib
import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

import httpx
import pytest
from redis.asyncio import Redis

from app.core.cache import create_cache
from app.core.errors import ProviderBadResponse, ProviderUnavailable
from app.providers.http import (
    CachedResponse,
    RetryPolicy,
    ValkeyConditionalCache,
    create_http_client,
    parse_links,
    pin_to_base,
    user_agent,
)
from tests.providers.conftest import HarnessFactory, octo_org, provider_settings


async def test_server_error_burst_is_retried_with_backoff_then_succeeds(
    harness: HarnessFactory,
) -> None:
    fault = {"kind": "server_error", "match": "/github/orgs/*", "times": 3, "status": 503}
    h = harness({"organizations": [octo_org()], "faults": [fault]}, http_backoff_base=0.5)

    profile = await h.github.get_organization("octo-org")

    assert profile is not None
    assert profile.login == "octo-org"
    assert len(h.requests("/github/orgs/octo-org")) == 4
    assert len(h.sleep.waits) == 3
    assert all(0 <= wait <= 0.5 * 2**n for n, wait in enumerate(h.sleep.waits))


async def test_server_errors_beyond_the_retry_budget_raise_unavailable(
    harness: HarnessFactory,
) -> None:
    fault = {"kind": "server_error", "times": None}
    h = harness({"organizations": [octo_org()], "faults": [fault]}, http_max_retries=2)

    with pytest.raises(ProviderUnavailable, match="502 3 times"):
        await h.github.get_organization("octo-org")
    assert len(h.fake.requests) == 3


async def test_connection_errors_are_retried_then_reported_unavailable(
    harness: HarnessFactory,
) -> None:
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    h = harness(handler=refuse, http_max_retries=2)

    with pytest.raises(ProviderUnavailable, match="connection refused"):
        await h.github.get_organization("octo-org")
    assert len(attempts) == 3
    assert len(h.sleep.waits) == 2


def test_backoff_grows_exponentially_with_full_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(max_retries=8, backoff_base=1.0, backoff_max=10.0)

    samples = {attempt: [policy.backoff(attempt) for _ in range(200)] for attempt in range(6)}

    for attempt, waits in samples.items():
        assert all(0 <= wait <= min(10.0, 2**attempt) for wait in waits)
    assert max(samples[5]) > 5  # the cap, not the first step, bounds late retries
    assert len(set(samples[3])) > 100  # jittered, so workers do not retry in lockstep


async def test_malformed_body_raises_bad_response_naming_the_url(harness: HarnessFactory) -> None:
    fault = {"kind": "malformed", "match": "/github/orgs/*"}
    h = harness({"organizations": [octo_org()], "faults": [fault]})

    with pytest.raises(ProviderBadResponse) as raised:
        await h.github.get_organization("octo-org")
    assert f"{h.github._api_url}/orgs/octo-org" in str(raised.value)
    assert raised.value.code == "provider_bad_response"


async def test_not_modified_answer_reuses_the_stored_body(
    harness: HarnessFactory, cache: Redis
) -> None:
    h = harness({"organizations": [octo_org()]}, cache=cache)

    first = await h.github.get_organization("octo-org")
    second = await h.github.get_organization("octo-org")

    sent = h.requests("/github/orgs/octo-org")
    assert first == second
    assert sent[0]["if_none_match"] is None
    assert str(sent[1]["if_none_match"]).startswith('W/"')
    assert h.fake.counter("core").used == 1  # the 304 was not counted against the limit
    assert await cache.keys("wump:http:github:*")


async def test_pagination_survives_not_modified_pages(
    harness: HarnessFactory, cache: Redis
) -> None:
    h = harness({"organizations": [octo_org()], "page_size": 1}, cache=cache)

    first = [r.full_name async for r in h.github.list_repositories("octo-org")]
    again = [r.full_name async for r in h.github.list_repositories("octo-org")]

    assert first == again == ["octo-org/app", "octo-org/lib", "octo-org/old-fork"]
    assert all(r["if_none_match"] for r in h.requests("/repos")[3:])


async def test_cache_outage_only_costs_the_saved_requests(
    harness: HarnessFactory, closed_port: int
) -> None:
    # The client the service builds (one timeout per command, a circuit breaker), not a bare
    # one whose default retries back off for seconds on every refused connection.
    unreachable = create_cache(
        provider_settings(
            valkey_url=f"redis://127.0.0.1:{closed_port}/0", valkey_socket_timeout=0.2
        )
    )
    h = harness({"organizations": [octo_org()]}, cache=unreachable)

    profile = await h.github.get_organization("octo-org")

    assert profile is not None
    assert profile.name == "Octo Org"
    await unreachable.aclose()


async def test_valkey_cache_round_trips_body_and_validators(cache: Redis) -> None:
    store = ValkeyConditionalCache(cache, ttl=60)
    entry = CachedResponse('"abc"', "Tue, 29 Nov 2022 19:44:55 GMT", b"\x00{}", {"link": "<x>"})

    await store.put("k", entry)

    assert await store.get("k") == entry
    assert 0 < await cache.ttl("wump:http:k") <= 60
    assert await store.get("missing") is None


def test_user_agent_names_wump_its_version_and_the_contact() -> None:
    agent = user_agent(provider_settings(http_user_agent_contact="ops@wump.test"))

    assert agent.startswith("wump/")
    assert agent.endswith(" (+ops@wump.test)")
    assert " " not in user_agent(provider_settings(http_user_agent_contact=None))


def test_link_header_parsing_and_pinning_to_the_configured_host() -> None:
    links = parse_links(
        '<http://up.test/a?page=2>; rel="next", <http://up.test/a?page=9>; rel="last"'
    )

    assert links == {"next": "http://up.test/a?page=2", "last": "http://up.test/a?page=9"}
    assert pin_to_base(links["next"], "https://up.test/base") == "https://up.test/a?page=2"
    assert (
        pin_to_base("https://elsewhere.test/steal?t=1", "https://up.test")
        == "https://up.test/steal?t=1"
    )


class _ImportRecorder(importlib.abc.MetaPathFinder):
    """Records every module lookup that reaches the import machinery."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        self.names.append(fullname)


async def test_requests_over_sockets_search_for_no_module() -> None:
    """httpcore imports sniffio on every request; when it is missing, each request searches the
    whole import path (a quarter of a crawl's CPU)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    recorder = _ImportRecorder()
    try:
        async with create_http_client(provider_settings()) as http:
            await http.get(f"http://127.0.0.1:{port}/warm-up")
            sys.meta_path.insert(0, recorder)
            try:
                for _ in range(3):
                    assert (await http.get(f"http://127.0.0.1:{port}/")).text == "ok"
            finally:
                sys.meta_path.remove(recorder)
    finally:
        server.close()

    assert recorder.names == []
