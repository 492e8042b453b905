"""Cache-aside for read answers in Valkey, invalidated by per-package and per-organization
generation numbers; a Valkey outage degrades to uncached answers, never to an error."""

import asyncio
import functools
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.exceptions import RedisError

from app.core.cache import Cache
from app.core.logging import get_logger
from app.core.metrics import CACHE_ERRORS, CACHE_HITS, CACHE_MISSES

log = get_logger(__name__)

_PREFIX = "wump:v1"
_GENERATION_PREFIX = f"{_PREFIX}:gen:".encode()
_WARN_EVERY_S = 60.0
_last_warning = -_WARN_EVERY_S
_CACHE_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def _warn_unavailable(error: BaseException, operation: str) -> None:
    # One line a minute: an outage must not flood the log with one warning per request.
    global _last_warning
    CACHE_ERRORS.labels(operation).inc()
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_S:
        _last_warning = now
        log.warning("cache.unavailable", error=repr(error))


@functools.cache
def answer_shape() -> str:
    """A digest of the answer schemas' source. Cached answers are stored JSON of those schemas:
    after an upgrade that changes them, entries written by the older wump are never read (the
    old shape would be served, or fail to parse), without anyone flushing Valkey."""
    digest = hashlib.blake2b(digest_size=8)
    for source in sorted(resources.files("app.schemas").iterdir(), key=lambda f: f.name):
        if source.name.endswith(".py"):
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def entity_tag(body: bytes) -> str:
    """The strong ETag of an answer's body."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """Where one answer is cached: its key and the key of its scope's generation, which are
    read together (`keys`, in that order)."""

    kind: str
    key: str
    generation_key: str

    @property
    def keys(self) -> tuple[str, str]:
        return (self.generation_key, self.key)

    def answer(self, values: Sequence[bytes | str | None]) -> tuple[int, CachedAnswer | None]:
        """The scope's current generation and, when the entry is of that generation, its answer.

        An entry is `<generation> <etag>\n<body>`, so a hit neither hashes nor copies more than
        the body; an entry written before the ETag was stored (`<generation>\n<body>`) is still
        served, its ETag computed."""
        raw_generation, entry = values
        generation = int(raw_generation) if raw_generation is not None else 0
        if not isinstance(entry, bytes):
            return generation, None
        tag, _, body = entry.partition(b"\n")
        stored_generation, _, etag = tag.partition(b" ")
        if stored_generation != str(generation).encode():
            return generation, None
        return generation, CachedAnswer(body, etag.decode() if etag else entity_tag(body))


# An entry read before the route ran (CacheFirstMiddleware's round trip, which missed), so the
# route's get_or_build of the same entry builds the answer without reading it a second time.
_read_before: ContextVar[tuple[tuple[str, str], Sequence[bytes | str | None]] | None] = ContextVar(
    "wump_cache_read_before", default=None
)


@contextmanager
def read_already(entry: CacheEntry, values: Sequence[bytes | str | None]) -> Iterator[None]:
    """While the block runs, a get_or_build of `entry` takes `values` (its `keys` just read)
    as what it would read, once."""
    token = _read_before.set((entry.keys, values))
    try:
        yield
    finally:
        _read_before.reset(token)


def _take_read(entry: CacheEntry) -> Sequence[bytes | str | None] | None:
    found = _read_before.get()
    if found is None or found[0] != entry.keys:
        return None
    _read_before.set(None)
    return found[1]


def encode_entry(generation: int, body: bytes) -> bytes:
    return f"{generation} {entity_tag(body)}\n".encode() + body


def package_scope(ecosystem: str, name: str) -> str:
    return f"package:{ecosystem}:{name}"


def organization_scope(login: str) -> str:
    return f"organization:{login.lower()}"


def params_digest(params: Mapping[str, Any]) -> str:
    """A stable digest of normalized request parameters (key order and defaults do not matter)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


class UsageCache:
    """Entries are stored under a key of the normalized parameters and tagged with the
    generation of their scope at the time they were computed; one MGET reads the current
    generation and the entry, and an entry of an older generation counts as a miss (and is
    overwritten), so a bump needs no deletes and leaves nothing behind but expiring entries."""

    def __init__(self, cache: Cache, shape: str | None = None) -> None:
        self._cache = cache
        self._shape = shape if shape is not None else answer_shape()

    def key(self, kind: str, scope: str | None, params: Mapping[str, Any]) -> str:
        # The shape is part of the digest, so key patterns stay `wump:v1:{kind}:{scope}:*`.
        digest = params_digest({"params": params, "shape": self._shape})
        return f"{_PREFIX}:{kind}:{scope or '-'}:{digest}"

    def entry(self, kind: str, scope: str | None, params: Mapping[str, Any]) -> CacheEntry:
        key = self.key(kind, scope, params)
        generation_key = self.generation_key(scope) if scope is not None else key + ":gen"
        return CacheEntry(kind, key, generation_key)

    @staticmethod
    def generation_key(scope: str) -> str:
        return _GENERATION_PREFIX.decode() + scope

    async def get_or_build(
        self,
        kind: str,
        scope: str | None,
        params: Mapping[str, Any],
        ttl: int,
        build: Callable[[], Awaitable[bytes]],
    ) -> bytes:
        """The cached answer of the scope's current generation, else `build()` stored for `ttl`
        seconds. Valkey failures are logged (once a minute) and answered by `build()`."""
        entry = self.entry(kind, scope, params)
        try:
            values = _take_read(entry)
            if values is None:
                values = await self._cache.mget(*entry.keys)
            generation, answer = entry.answer(values)
        except _CACHE_ERRORS as error:
            _warn_unavailable(error, "read")
            return await build()
        if answer is not None:
            CACHE_HITS.labels(kind).inc()
            return answer.body
        CACHE_MISSES.labels(kind).inc()
        body = await build()
        try:
            await self._cache.set(entry.key, encode_entry(generation, body), ex=ttl)
        except _CACHE_ERRORS as error:
            _warn_unavailable(error, "write")
        return body

    async def get(self, kind: str, scope: str | None, params: Mapping[str, Any]) -> bytes | None:
        """The cached answer of the scope's current generation, or None (a miss is not counted:
        whoever builds the answer counts it). Valkey failures are logged once a minute."""
        answer = await self.read(self.entry(kind, scope, params))
        return answer.body if answer is not None else None

    async def read(
        self, entry: CacheEntry, values: Sequence[bytes | str | None] | None = None
    ) -> CachedAnswer | None:
        """The entry's current answer, or None; from `values` (its `keys` read already, as the
        rate limiter does in its own round trip) or else read now."""
        if values is None:
            try:
                values = await self._cache.mget(*entry.keys)
            except _CACHE_ERRORS as error:
                _warn_unavailable(error, "read")
                return None
        _, answer = entry.answer(values)
        if answer is not None:
            CACHE_HITS.labels(entry.kind).inc()
        return answer

    async def clear(self) -> int:
        """Remove every cached answer (not the generation numbers), for after a change to the
        whole dataset such as a seed: no scope's bump covers it. Returns how many were removed.
        Valkey failures propagate; the caller says what it could not clear."""
        removed = 0
        batch: list[bytes] = []
        async for key in self._cache.scan_iter(match=f"{_PREFIX}:*", count=1000):
            if not key.startswith(_GENERATION_PREFIX):
                batch.append(key)
            if len(batch) >= 500:
                removed += await self._cache.unlink(*batch)
                batch.clear()
        if batch:
            removed += await self._cache.unlink(*batch)
        return removed

    async def bump(self, scopes: Iterable[str]) -> None:
        """Start a new generation for each scope, so their cached entries stop being served.
        Call after the commit that changed the data, or a reader could cache the old data under
        the new generation."""
        unique = sorted(set(scopes))
        if not unique:
            return
        try:
            async with self._cache.pipeline(transaction=False) as pipe:
                for scope in unique:
                    pipe.incr(self.generation_key(scope))
                await pipe.execute()
        except _CACHE_ERRORS as error:
            _warn_unavailable(error, "bump")
