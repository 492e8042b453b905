"""Sliding-window rate limits shared by all replicas via Valkey; per process while it is down."""

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

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
    """Counts hits in Valkey; on a storage failure counts in this process until Valkey answers.

    After a failure the shared storage is tried again once every `retry_interval` seconds, by
    one request, so an outage costs one failed round trip per interval rather than per request.
    """

    def __init__(
        self,
        valkey_url: str | None,
        *,
        socket_timeout: float = 5.0,
        max_connections: int = 20,
        retry_interval: float = 5.0,
    ) -> None:
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self._pool: ConnectionPool | None = None
        if valkey_url is not None:
            # Its own pool without redis-py's retries: a dead Valkey must fail fast, not back off.
            self._pool = ConnectionPool.from_url(
                valkey_url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                max_connections=max_connections,
            )
            options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                f"async+{valkey_url}",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=_KEY_PREFIX,
                **options,
            )
            self._shared = SlidingWindowCounterRateLimiter(storage)
        self._retry_interval = retry_interval
        self._shared_down_until: float | None = None

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    @property
    def is_shared(self) -> bool:
        return self._shared is not None and self._shared_down_until is None

    async def hit(self, policy: RateLimitPolicy, identity: str) -> RateLimitResult:
        """Count one request by `identity` against `policy` and say whether it may proceed."""
        item = _item(policy.limit, policy.window)
        shared = self._pick_shared()
        if shared is not None:
            try:
                result = await self._hit(shared, item, policy, identity)
            except (StorageError, RedisError, OSError) as error:
                self._mark_down(error)
            else:
                self._mark_up()
                return result
        return await self._hit(self._local, item, policy, identity)

    def _pick_shared(self) -> SlidingWindowCounterRateLimiter | None:
        if self._shared is None or self._shared_down_until is None:
            return self._shared
        now = time.monotonic()
        if now < self._shared_down_until:
            return None
        # This request probes; others keep counting locally until it has an answer.
        self._shared_down_until = now + self._retry_interval
        return self._shared

    def _mark_down(self, error: Exception) -> None:
        if self._shared_down_until is None:
            log.warning(
                "rate_limit.storage.unavailable",
                error=str(error) or type(error).__name__,
                fallback="in-process limits until Valkey answers again",
            )
        self._shared_down_until = time.monotonic() + self._retry_interval

    def _mark_up(self) -> None:
        if self._shared_down_until is not None:
            self._shared_down_until = None
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
