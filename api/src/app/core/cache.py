"""The Valkey client (redis-py asyncio) on a shared connection pool."""

import socket
from typing import Any

from fastapi import Request
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

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


def create_cache(settings: Settings) -> Cache:
    """A client on its own pool, or an in-process stand-in when no Valkey can run here."""
    url = resolve_valkey_url(settings)
    if url is None:
        from fakeredis import FakeAsyncRedis

        log.warning(
            "cache.in_process_fallback",
            reason="VALKEY_URL is unset and no embedded Valkey is available on this platform",
        )
        fallback: Cache = FakeAsyncRedis()
        return fallback
    options: dict[str, Any] = {
        "max_connections": settings.valkey_max_connections,
        "socket_timeout": settings.valkey_socket_timeout,
        "socket_connect_timeout": settings.valkey_socket_timeout,
        "socket_keepalive": True,
        "socket_keepalive_options": _keepalive_options(),
        "health_check_interval": settings.valkey_health_check_interval,
        "retry_on_timeout": False,
    }
    pool = ConnectionPool.from_url(url, **options)
    return Redis(connection_pool=pool)


def get_cache(request: Request) -> Cache:
    """FastAPI dependency: the application's shared client."""
    cache: Cache = request.app.state.cache
    return cache


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
