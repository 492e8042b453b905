"""Sliding-window rate limits shared by all replicas via Valkey; per process while it is down."""

import asyncio
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import BlockingConnectionPool, ConnectionPool
from redis.exceptions import RedisError

from app.core.breaker import CircuitBreaker
from app.core.logging import get_logger

log = get_logger(__name__)

WINDOW_SECONDS = 60
_KEY_PREFIX = "wump:ratelimit"


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
        self._shared: SlidingWindowCounterRateLimiter | None = None
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
            options: dict[str, Any] = {"connection_pool": pool}
            storage = RedisStorage(
                f"async+{valkey_url}",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=_KEY_PREFIX,
                **options,
            )
            self._shared = SlidingWindowCounterRateLimiter(storage)

    async def aclose(self) -> None:
        if self._owned_pool is not None:
            await self._owned_pool.aclose()

    @property
    def is_shared(self) -> bool:
        return self._shared is not None and not self._degraded

    async def hit(self, policy: RateLimitPolicy, identity: str) -> RateLimitResult:
        """Count one request by `identity` against `policy` and say whether it may proceed."""
        item = _item(policy.limit, policy.window)
        if self._shared is not None:
            if self._breaker.allow():
                try:
                    async with asyncio.timeout(self._timeout):
                        result = await self._hit(self._shared, item, policy, identity)
                except (StorageError, RedisError, OSError, TimeoutError) as error:
                    self._breaker.failed(error)
                    self._mark_down(error)
                else:
                    self._breaker.succeeded()
                    self._mark_up()
                    return result
            else:
                self._mark_down(None)
        return await self._hit(self._local, item, policy, identity)

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

    @staticmethod
    async def _hit(
        limiter: SlidingWindowCounterRateLimiter,
        item: RateLimitItem,
        policy: RateLimitPolicy,
        identity: str,
    ) -> RateLimitResult:
        allowed = await limiter.hit(item, identity)
        stats = await limiter.get_window_stats(item, identity)
        now = time.time()
        reset_after = math.ceil(stats.reset_time - now)
        if reset_after <= 0:
            # limits reports a window that shifts exactly now as "0 s"; the next shift is a
            # whole window away.
            reset_after = policy.window
        return RateLimitResult(
            policy=policy,
            allowed=allowed,
            remaining=stats.remaining,
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
