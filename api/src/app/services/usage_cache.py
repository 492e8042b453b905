"""Cache-aside for read answers in Valkey, invalidated by per-package and per-organization
generation numbers; a Valkey outage degrades to uncached answers, never to an error."""

import asyncio
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from redis.exceptions import RedisError

from app.core.cache import Cache
from app.core.logging import get_logger

log = get_logger(__name__)

_PREFIX = "wump:v1"
_WARN_EVERY_S = 60.0
_last_warning = -_WARN_EVERY_S
_CACHE_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def _warn_unavailable(error: BaseException) -> None:
    # One line a minute: an outage must not flood the log with one warning per request.
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_S:
        _last_warning = now
        log.warning("cache.unavailable", error=repr(error))


def package_scope(ecosystem: str, name: str) -> str:
    return f"package:{ecosystem}:{name}"


def organization_scope(login: str) -> str:
    return f"organization:{login.lower()}"


def params_digest(params: Mapping[str, Any]) -> str:
    """A stable digest of normalized request parameters (key order and defaults do not matter)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


class UsageCache:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def generation(self, scope: str | None) -> int | None:
        """The scope's generation (0 before any bump), or None when Valkey does not answer."""
        if scope is None:
            return 0
        try:
            raw = await self._cache.get(f"{_PREFIX}:gen:{scope}")
        except _CACHE_ERRORS as error:
            _warn_unavailable(error)
            return None
        return int(raw) if raw is not None else 0

    @staticmethod
    def key(kind: str, scope: str | None, generation: int, params: Mapping[str, Any]) -> str:
        return f"{_PREFIX}:{kind}:{scope or '-'}:g{generation}:{params_digest(params)}"

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._cache.get(key)
        except _CACHE_ERRORS as error:
            _warn_unavailable(error)
            return None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, body: bytes, ttl: int) -> None:
        try:
            await self._cache.set(key, body, ex=ttl)
        except _CACHE_ERRORS as error:
            _warn_unavailable(error)

    async def bump(self, scopes: Iterable[str]) -> None:
        """Start a new generation for each scope: entries of older generations are never read
        again and expire by their TTL. Call after the commit that changed the data, or a reader
        could cache the old data under the new generation."""
        unique = sorted(set(scopes))
        if not unique:
            return
        try:
            async with self._cache.pipeline(transaction=False) as pipe:
                for scope in unique:
                    pipe.incr(f"{_PREFIX}:gen:{scope}")
                await pipe.execute()
        except _CACHE_ERRORS as error:
            _warn_unavailable(error)
