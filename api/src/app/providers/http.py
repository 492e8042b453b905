"""Shared HTTP plumbing for providers: one client, retries with backoff, conditional requests."""

import asyncio
import hashlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.errors import ProviderBadResponse, ProviderRateLimited, ProviderUnavailable
from app.core.logging import get_logger
from app.core.metrics import UPSTREAM_REQUESTS, UPSTREAM_RETRIES

log = get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

# Headers worth replaying with a cached body: pagination must survive a 304.
_REPLAYED_HEADERS = ("content-type", "link", "current-page", "page-items")
_LINK = re.compile(r"<([^>]*)>\s*;\s*rel=\"?([^\";]+)\"?")


def user_agent(settings: Settings) -> str:
    try:
        wump_version = version("wump")
    except PackageNotFoundError:
        wump_version = "0.0.0"
    contact = settings.http_user_agent_contact
    return f"wump/{wump_version}" + (f" (+{contact})" if contact else "")


def create_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The process's one client: the app lifespan or the worker opens it and closes it."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout, connect=min(10.0, settings.http_timeout)),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        headers={"User-Agent": user_agent(settings)},
        follow_redirects=True,
        transport=transport,
    )


def parse_links(header: str | None) -> dict[str, str]:
    """RFC 8288 `Link` header as rel -> URL (a rel list such as "next last" maps both)."""
    links: dict[str, str] = {}
    for url, rels in _LINK.findall(header or ""):
        for rel in rels.split():
            links.setdefault(rel, url)
    return links


def pin_to_base(url: str, base: str) -> str:
    """`url` with the scheme and host of `base`.

    Pagination links are followed only on the configured host, so a credential never leaves
    it, and an upstream that writes http:// links behind TLS is still reached over TLS.
    """
    target, origin = urlsplit(url), urlsplit(base)
    return urlunsplit((origin.scheme, origin.netloc, target.path, target.query, ""))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetryPolicy":
        return cls(settings.http_max_retries, settings.http_backoff_base, settings.http_backoff_max)

    def backoff(self, attempt: int) -> float:
        # Full jitter: concurrent workers hitting the same outage spread out instead of
        # retrying in lockstep.
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        return random.uniform(0, ceiling)


@dataclass(frozen=True, slots=True)
class CachedResponse:
    etag: str | None
    last_modified: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class ConditionalCache(Protocol):
    async def get(self, key: str) -> CachedResponse | None: ...

    async def put(self, key: str, entry: CachedResponse) -> None: ...


class ValkeyConditionalCache:
    """ETags and bodies in Valkey; a Valkey outage only costs the saved requests."""

    def __init__(self, cache: Redis, ttl: int, prefix: str = "wump:http:") -> None:
        self._cache = cache
        self._ttl = ttl
        self._prefix = prefix

    async def get(self, key: str) -> CachedResponse | None:
        try:
            stored = await self._cache.hgetall(self._prefix + key)
        except (RedisError, OSError) as error:
            log.warning("provider.http.cache_unavailable", error=str(error))
            return None
        body = stored.get(b"body") if stored else None
        # Bodies are bytes; a client built with decode_responses cannot hold them, so skip it.
        if not isinstance(body, bytes):
            return None
        meta = json.loads(stored.get(b"meta", b"{}"))
        return CachedResponse(
            meta.get("etag"), meta.get("last_modified"), body, meta.get("headers", {})
        )

    async def put(self, key: str, entry: CachedResponse) -> None:
        meta = {"etag": entry.etag, "last_modified": entry.last_modified, "headers": entry.headers}
        name = self._prefix + key
        try:
            async with self._cache.pipeline(transaction=True) as pipe:
                pipe.hset(name, mapping={"body": entry.body, "meta": json.dumps(meta)})
                pipe.expire(name, self._ttl)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("provider.http.cache_unavailable", error=str(error))


def conditional_key(namespace: str, method: str, url: str) -> str:
    digest = hashlib.sha256(f"{method.upper()} {url}".encode()).hexdigest()
    return f"{namespace}:{digest}"


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    from_cache: bool = False

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ProviderBadResponse(
                f"{self.url} answered {self.status} with a body that is not JSON: {error}"
            ) from None

    def links(self) -> dict[str, str]:
        return parse_links(self.headers.get("link"))


@dataclass(frozen=True, slots=True)
class Retry:
    """Wait `seconds`, then send the request again; `limited` marks a rate limit."""

    seconds: float
    limited: bool = False


class ResponseGate(Protocol):
    """A provider's reading of its rate-limit answers, consulted before a response is returned.

    Returns a Retry to wait and resend, None to hand the response back, or raises.
    """

    def assess(self, response: httpx.Response, attempt: int) -> Retry | None: ...


class UpstreamClient:
    """Sends one logical request: retries, rate-limit waits and ETags included."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: RetryPolicy,
        *,
        conditional: ConditionalCache | None = None,
        namespace: str = "default",
        gate: ResponseGate | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.time,
    ) -> None:
        self._http = http
        self._policy = policy
        self._conditional = conditional
        self._namespace = namespace
        self._gate = gate
        self._sleep = sleep
        self._clock = clock
        # "github:<credential digest>" counts as "github": one series per provider.
        self._provider = namespace.partition(":")[0]

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        request_headers = dict(headers or {})
        full_url = str(httpx.URL(url, params=params)) if params else url
        cached: CachedResponse | None = None
        key = conditional_key(self._namespace, method, full_url)
        if self._conditional is not None and method == "GET":
            cached = await self._conditional.get(key)
            if cached is not None and cached.etag:
                request_headers["If-None-Match"] = cached.etag
            elif cached is not None and cached.last_modified:
                request_headers["If-Modified-Since"] = cached.last_modified
        response = await self._send(method, full_url, json_body, request_headers)
        if response.status_code == 304 and cached is not None:
            replayed = httpx.Headers(cached.headers)
            replayed.update(response.headers)
            return UpstreamResponse(full_url, 200, replayed, cached.body, from_cache=True)
        if (
            self._conditional is not None
            and method == "GET"
            and response.status_code == 200
            and (response.headers.get("etag") or response.headers.get("last-modified"))
        ):
            kept = {n: response.headers[n] for n in _REPLAYED_HEADERS if n in response.headers}
            entry = CachedResponse(
                response.headers.get("etag"),
                response.headers.get("last-modified"),
                response.content,
                kept,
            )
            await self._conditional.put(key, entry)
        return UpstreamResponse(full_url, response.status_code, response.headers, response.content)

    async def _send(
        self, method: str, url: str, json_body: Any, headers: dict[str, str]
    ) -> httpx.Response:
        attempts = self._policy.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(method, url, json=json_body, headers=headers)
            except httpx.TransportError as error:
                UPSTREAM_REQUESTS.labels(self._provider, "error").inc()
                if last:
                    raise ProviderUnavailable(
                        f"{method} {url} failed {attempts} times: {error!r}"
                    ) from error
                UPSTREAM_RETRIES.labels(self._provider, "transport").inc()
                await self._wait(self._policy.backoff(attempt), url, f"transport: {error!r}")
                continue
            UPSTREAM_REQUESTS.labels(self._provider, str(response.status_code)).inc()
            retry = self._gate.assess(response, attempt) if self._gate is not None else None
            if retry is None and response.status_code >= 500:
                retry = Retry(self._policy.backoff(attempt))
            if retry is None:
                return response
            if last:
                if retry.limited:
                    reset_at = datetime.fromtimestamp(self._clock() + retry.seconds, UTC)
                    raise ProviderRateLimited(f"{url} is still rate limited", reset_at=reset_at)
                raise ProviderUnavailable(
                    f"{method} {url} answered {response.status_code} {attempts} times"
                )
            reason = "rate_limited" if retry.limited else "server_error"
            UPSTREAM_RETRIES.labels(self._provider, reason).inc()
            await self._wait(retry.seconds, url, f"status {response.status_code}")
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _wait(self, seconds: float, url: str, reason: str) -> None:
        log.info("provider.http.retry", url=url, reason=reason, wait_seconds=round(seconds, 3))
        await self._sleep(seconds)


def retry_after_seconds(headers: httpx.Headers, now: float) -> float | None:
    """`retry-after` as seconds, whether given as a number or as an HTTP date."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None
