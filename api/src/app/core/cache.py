"""The Valkey client (redis-py asyncio): one bounded pool, every command timed and behind a
circuit breaker."""

import asyncio
import socket
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.core.breaker import CircuitBreaker
from app.core.config import Settings, get_settings
from app.core.embedded import read_runtime_urls
from app.core.logging import get_logger

log = get_logger(__name__)

Cache = Redis


def _keepalive_options() -> dict[int, int]:
    options: dict[int, int] = {}
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            options[getattr(socket, name)] = value
    return options


def resolve_valkey_url(settings: Settings) -> str | None:
    """The configured URL, else the embedded server of a `wump serve` running on the data dir."""
    if settings.valkey_url is not None:
        return settings.valkey_url
    running = read_runtime_urls(settings.wump_data_dir)
    return running.valkey_url if running is not None else None


class CacheSkipped(RedisConnectionError):
    """Valkey was not asked: its circuit is open after a recent failure."""


class GuardedCache(Redis):
    """A client whose every command is bounded by `timeout` and passes the circuit breaker:
    while it is open, commands fail at once instead of waiting on a stalled server."""

    def __init__(
        self, *, connection_pool: ConnectionPool, breaker: CircuitBreaker, timeout: float
    ) -> None:
        super().__init__(connection_pool=connection_pool)
        self.breaker = breaker
        self.timeout = timeout

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if not self.breaker.allow():
            raise CacheSkipped("Valkey is skipped after a recent failure")
        try:
            async with asyncio.timeout(self.timeout):
                result = await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except TimeoutError as error:
            self.breaker.failed(error)
            raise RedisTimeoutError(f"Valkey did not answer within {self.timeout} s") from None
        except (RedisError, OSError) as error:
            self.breaker.failed(error)
            raise
        self.breaker.succeeded()
        return result

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        if not self.breaker.allow():
            raise CacheSkipped("Valkey is skipped after a recent failure")
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)


def valkey_max_connections(settings: Settings) -> int:
    """VALKEY_MAX_CONNECTIONS, else enough for every request the database pool can serve at
    once plus the in-process worker's jobs, with room for health probes."""
    if settings.valkey_max_connections is not None:
        return settings.valkey_max_connections
    database = settings.database_pool_size + settings.database_max_overflow
    return database + settings.worker_concurrency + 8


def create_pool(settings: Settings, url: str) -> ConnectionPool:
    """A pool that waits briefly for a free connection rather than failing when all are busy."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=valkey_max_connections(settings),
        timeout=settings.valkey_socket_timeout,
        socket_timeout=settings.valkey_socket_timeout,
        socket_connect_timeout=settings.valkey_socket_timeout,
        socket_keepalive=True,
        socket_keepalive_options=_keepalive_options(),
        health_check_interval=settings.valkey_health_check_interval,
        retry_on_timeout=False,
    )


def create_cache(settings: Settings, breaker: CircuitBreaker | None = None) -> Cache:
    """A guarded client on its own pool, or an in-process stand-in when no Valkey can run here."""
    url = resolve_valkey_url(settings)
    if url is None:
        from fakeredis import FakeAsyncRedis

        log.warning(
            "cache.in_process_fallback",
            reason="VALKEY_URL is unset and no embedded Valkey is available on this platform",
        )
        fallback: Cache = FakeAsyncRedis()
        return fallback
    return GuardedCache(
        connection_pool=create_pool(settings, url),
        breaker=breaker or CircuitBreaker("valkey", settings.valkey_breaker_cooldown),
        timeout=settings.valkey_socket_timeout,
    )


async def check_cache_connection(cache: Cache | None = None) -> bool:
    """True when Valkey answers PING; usable inside the app and from a plain script."""
    owned = cache is None
    client = cache if cache is not None else create_cache(get_settings())
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        if owned:
            await client.aclose()
