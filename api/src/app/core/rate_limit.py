"""Sliding-window rate limits shared by all replicas via Valkey; per process while it is down."""

import asyncio
import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError, RedisError, ResponseError

from app.core.breaker import CircuitBreaker
from app.core.logging import get_logger

log = get_logger(__name__)

WINDOW_SECONDS = 60
_KEY_PREFIX = "wump:ratelimit"

# The sliding-window counter of the `limits` library (same keys, same arithmetic), counting the
# hit and reading the window back in one script, so a request costs one round trip, not two.
# KEYS: the previous and the current window's counters, then any keys to read when the hit is
# allowed (a cached answer, read in the same round trip); ARGV: limit, window in seconds.
# Returns allowed (0/1), each counter's value and its time to live in milliseconds, then the
# values of the keys to read (none when refused).
_SLIDING_WINDOW_HIT = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
    -- The current window is over: it becomes the previous one.
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end
local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = math.max(0, tonumber(redis.call('pttl', KEYS[1])))
local current_count = tonumber(redis.call('get', KEYS[2])) or 0
local allowed = 0
if math.floor(previous_count * previous_ttl / expiry) + current_count + 1 <= limit then
    allowed = 1
    if redis.call('exists', KEYS[2]) == 1 then
        current_count = redis.call('incrby', KEYS[2], 1)
    else
        redis.call('set', KEYS[2], 1, 'PX', expiry * 2)
        current_count = 1
    end
end
current_ttl = math.max(0, tonumber(redis.call('pttl', KEYS[2])))
local reply = {allowed, previous_count, previous_ttl, current_count, current_ttl}
if allowed == 1 and #KEYS > 2 then
    for _, value in ipairs(redis.call('mget', unpack(KEYS, 3))) do
        reply[#reply + 1] = value
    end
end
return reply
"""


_SCRIPT_SHA = hashlib.sha1(_SLIDING_WINDOW_HIT.encode()).hexdigest()


async def _round_trip(connection: AbstractConnection, command: tuple[Any, ...]) -> Any:
    await connection.send_packed_command(connection.pack_command(*command))
    return await connection.read_response()


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    name: str
    limit: int
    window: int = WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    policy: RateLimitPolicy
    allowed: bool
    remaining: int
    reset_after: int
    reset_at: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The IETF draft fields plus the X-RateLimit trio (its Reset in epoch seconds)."""
        name, limit = self.policy.name, self.policy.limit
        fields = [
            (b"ratelimit-policy", f'"{name}";q={limit};w={self.policy.window}'.encode()),
            (b"ratelimit", f'"{name}";r={self.remaining};t={self.reset_after}'.encode()),
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_at).encode()),
        ]
        if not self.allowed:
            fields.append((b"retry-after", str(max(1, self.reset_after)).encode()))
        return fields


@lru_cache(maxsize=1024)
def _item(limit: int, window: int) -> RateLimitItem:
    return RateLimitItemPerSecond(limit, window)


class RateLimiter:
    """Counts hits in Valkey; while Valkey fails counts in this process.

    Every shared count is bounded by `socket_timeout` and passes the circuit breaker (the one
    the cache uses, when given): after a failure Valkey is skipped for the cool-down, then one
    request probes it, so an outage costs one bounded wait per cool-down, not one per request.
    """

    def __init__(
        self,
        valkey_url: str | None,
        *,
        socket_timeout: float = 0.5,
        max_connections: int = 20,
        retry_interval: float = 5.0,
        breaker: CircuitBreaker | None = None,
        connection_pool: ConnectionPool | None = None,
    ) -> None:
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._client: Redis | None = None
        self._owned_pool: ConnectionPool | None = None
        self._timeout = socket_timeout
        self._breaker = breaker or CircuitBreaker("valkey", retry_interval)
        self._degraded = False
        if valkey_url is not None:
            pool = connection_pool
            if pool is None:
                # No redis-py retries: a dead Valkey must fail fast, not back off.
                pool = self._owned_pool = BlockingConnectionPool.from_url(
                    valkey_url,
                    timeout=socket_timeout,
                    socket_timeout=socket_timeout,
                    socket_connect_timeout=socket_timeout,
                    max_connections=max_connections,
                )
            self._client = Redis(connection_pool=pool)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose(close_connection_pool=False)
        if self._owned_pool is not None:
            await self._owned_pool.aclose()

    @property
    def is_shared(self) -> bool:
        return self._client is not None and not self._degraded

    async def hit(self, policy: RateLimitPolicy, identity: str) -> RateLimitResult:
        """Count one request by `identity` against `policy` and say whether it may proceed."""
        result, _ = await self.hit_and_read(policy, identity, ())
        return result

    async def hit_and_read(
        self, policy: RateLimitPolicy, identity: str, keys: Sequence[str]
    ) -> tuple[RateLimitResult, list[bytes | None] | None]:
        """`hit`, and when the hit is allowed the values of `keys` read in the same round trip
        (None for the values when the hit is refused or counted in this process)."""
        item = _item(policy.limit, policy.window)
        if self._client is not None:
            if self._breaker.allow():
                try:
                    async with asyncio.timeout(self._timeout):
                        shared = await self._shared_hit(item, policy, identity, keys)
                except (RedisError, OSError, TimeoutError) as error:
                    self._breaker.failed(error)
                    self._mark_down(error)
                else:
                    self._breaker.succeeded()
                    self._mark_up()
                    return shared
            else:
                self._mark_down(None)
        return await self._local_hit(item, policy, identity), None

    def _mark_down(self, error: BaseException | None) -> None:
        if not self._degraded:
            self._degraded = True
            log.warning(
                "rate_limit.storage.unavailable",
                error=(str(error) or type(error).__name__) if error else "circuit open",
                fallback="in-process limits until Valkey answers again",
            )

    def _mark_up(self) -> None:
        if self._degraded:
            self._degraded = False
            log.info("rate_limit.storage.recovered")

    async def _shared_hit(
        self, item: RateLimitItem, policy: RateLimitPolicy, identity: str, keys: Sequence[str]
    ) -> tuple[RateLimitResult, list[bytes | None] | None]:
        # The keys of the `limits` library's Redis storage: counts survive a change of client.
        current = f"{_KEY_PREFIX}:{{{item.key_for(identity)}}}"
        reply = await self._evalsha(
            f"{current}/-1", current, *keys, limit=policy.limit, window=policy.window
        )
        allowed, previous, previous_ttl, count, count_ttl = (int(value) for value in reply[:5])
        window = SlidingWindow(previous, previous_ttl / 1000, count, count_ttl / 1000)
        result = window.result(policy, allowed=bool(allowed), now=time.time())
        values = list(reply[5:]) if allowed and keys else None
        return result, values

    async def _evalsha(self, *keys: str, limit: int, window: int) -> list[Any]:
        """The script by its digest on a pooled connection, without the client's per-command
        layers (retries, response callbacks, instrumentation): it runs on every request.
        Valkey that lost its scripts (a restart) answers NOSCRIPT; the script is loaded again
        and the call repeated once."""
        assert self._client is not None
        pool = self._client.connection_pool
        command = ("EVALSHA", _SCRIPT_SHA, len(keys), *keys, limit, window)
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            try:
                reply = await _round_trip(connection, command)
            except NoScriptError:
                await _round_trip(connection, ("SCRIPT", "LOAD", _SLIDING_WINDOW_HIT))
                reply = await _round_trip(connection, command)
        except ResponseError:
            raise
        except BaseException:
            # A reply may still be on its way (a timeout, a cancellation): never reuse the
            # connection for another command.
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)
        if not isinstance(reply, list):
            raise ResponseError(f"unexpected reply from the rate-limit script: {reply!r}")
        return reply

    async def _local_hit(
        self, item: RateLimitItem, policy: RateLimitPolicy, identity: str
    ) -> RateLimitResult:
        allowed = await self._local.hit(item, identity)
        stats = await self._local.get_window_stats(item, identity)
        now = time.time()
        return _result(policy, allowed, stats.remaining, stats.reset_time - now, now)


@dataclass(frozen=True, slots=True)
class SlidingWindow:
    """The two counters of a sliding window after a hit, with their times to live (seconds)."""

    previous: int
    previous_ttl: float
    current: int
    current_ttl: float

    def result(self, policy: RateLimitPolicy, *, allowed: bool, now: float) -> RateLimitResult:
        """The answer as the `limits` library words it: the previous window's count weighed by
        how much of it still overlaps, and the next moment that count drops."""
        weighted = self.previous * self.previous_ttl / policy.window + self.current
        remaining = max(0, policy.limit - math.floor(weighted))
        reset_in = math.inf
        if self.previous:
            # The weighed previous count drops by one every window / previous seconds.
            reset_in = self.previous_ttl % (policy.window / self.previous)
        if self.current:
            reset_in = min(reset_in, self.current_ttl % policy.window)
        return _result(policy, allowed, remaining, 0 if reset_in == math.inf else reset_in, now)


def _result(
    policy: RateLimitPolicy, allowed: bool, remaining: int, reset_in: float, now: float
) -> RateLimitResult:
    reset_after = math.ceil(reset_in)
    if reset_after <= 0:
        # A window that shifts exactly now (or an empty count) resets a whole window away.
        reset_after = policy.window
    return RateLimitResult(
        policy=policy,
        allowed=allowed,
        remaining=remaining,
        reset_after=reset_after,
        reset_at=math.ceil(now) + reset_after,
    )


class FailureLimiter:
    """Counts failures (such as unusable API keys) per identity in this process: a check costs
    no network round trip, so a flood of bad keys is refused before any database query."""

    def __init__(self, limit: int, window: int = WINDOW_SECONDS) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._policy = RateLimitPolicy("failed_authentications", limit, window)
        self._item = _item(limit, window)

    async def refusal(self, identity: str) -> RateLimitResult | None:
        """The limit `identity` has reached, or None while it may still try."""
        if await self._limiter.test(self._item, identity):
            return None
        stats = await self._limiter.get_window_stats(self._item, identity)
        now = time.time()
        reset_after = max(1, math.ceil(stats.reset_time - now))
        return RateLimitResult(self._policy, False, 0, reset_after, math.ceil(now) + reset_after)

    async def failed(self, identity: str) -> None:
        await self._limiter.hit(self._item, identity)
