"""Prometheus metrics: the series wump exports, the HTTP middleware, the pool, the exposition."""

import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Set (by `wump serve` or the operator) before prometheus_client is first imported: each process
# then writes its values to files there, and a scrape of any one worker sums them all.
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Our latency targets: cached reads in a few milliseconds, uncached pages well under a second.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0)

# Labels come from the route table, never from the request: a package name in the path (or a
# hostile one) must not create a series of its own.
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_RESOURCE = re.compile(r"[a-z0-9_]{1,40}")

# `*_created` samples double the series for a timestamp Prometheus does not need.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "wump_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "wump_http_request_duration_seconds",
    "Time from the request to the end of the response, by route template and method.",
    ["route", "method"],
    buckets=HTTP_BUCKETS,
)
CACHE_HITS = Counter("wump_cache_hits", "Read answers served from Valkey, by kind.", ["kind"])
CACHE_MISSES = Counter(
    "wump_cache_misses", "Read answers built because Valkey held no current entry.", ["kind"]
)
CACHE_ERRORS = Counter(
    "wump_cache_errors",
    "Valkey operations that failed (the answer was built without the cache), by operation.",
    ["operation"],
)
DB_POOL_IN_USE = Gauge(
    "wump_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
DB_POOL_OVERFLOW = Gauge(
    "wump_db_pool_overflow_connections",
    "Connections open beyond DATABASE_POOL_SIZE.",
    multiprocess_mode="livesum",
)
DB_POOL_WAITS = Counter(
    "wump_db_pool_waits", "Checkouts that found every allowed connection busy and had to wait."
)
JOB_ATTEMPTS = Counter("wump_job_attempts", "Job attempts started, by job type.", ["job_type"])
JOB_DURATION = Histogram(
    "wump_job_duration_seconds",
    "Duration of job attempts, by job type and outcome (completed, retrying, failed, interrupted).",
    ["job_type", "outcome"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter(
    "wump_job_failures",
    "Failed job attempts, by job type and reason (rate_limited, temporary, permanent).",
    ["job_type", "reason"],
)
UPSTREAM_REQUESTS = Counter(
    "wump_upstream_requests",
    "Requests sent to upstream APIs, by provider and status code (error: no answer).",
    ["provider", "status"],
)
UPSTREAM_RETRIES = Counter(
    "wump_upstream_retries",
    "Upstream requests sent again, by provider and reason (rate_limited, server_error, transport).",
    ["provider", "reason"],
)
UPSTREAM_RATELIMIT_REMAINING = Gauge(
    "wump_upstream_ratelimit_remaining",
    "Requests left in the upstream's rate-limit window, by provider and resource.",
    ["provider", "resource"],
    multiprocess_mode="mostrecent",
)
UPSTREAM_RATELIMIT_LIMIT = Gauge(
    "wump_upstream_ratelimit_limit",
    "Size of the upstream's rate-limit window, by provider and resource.",
    ["provider", "resource"],
    multiprocess_mode="mostrecent",
)
RATE_LIMITED = Counter(
    "wump_rate_limited_requests", "Requests refused with 429, by caller tier.", ["tier"]
)


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIR_ENV))


# Set by what answers a request before routing, with the template of the route it stands for.
ROUTE_TEMPLATE = "wump.route_template"


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/packages/{ecosystem}/{name}/users`)."""
    answered: str | None = scope.get(ROUTE_TEMPLATE)
    if answered is not None:
        return answered
    # FastAPI keeps an included route's full template (prefixes and all) beside the route,
    # whose own path is relative to its router.
    selected = scope.get("fastapi", {}).get("effective_route_context")
    full = getattr(selected, "path_format", None)
    if isinstance(full, str) and full.startswith("/"):
        return full
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    if not hasattr(route, "endpoint"):  # a Mount: everything below it is one series
        return f"{path}/{{path}}"
    return path or "/"


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = route_template(scope)
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)


# SQLAlchemy names a pool's logger after its class; keep ours as quiet as its own.
logging.getLogger(f"{__name__}.InstrumentedPool").setLevel(logging.WARNING)


class InstrumentedPool(AsyncAdaptedQueuePool):
    """The engine's pool, reporting connections in use, overflow and waits as they change."""

    def _do_get(self) -> ConnectionPoolEntry:
        max_overflow: int = getattr(self, "_max_overflow", -1)
        if max_overflow >= 0 and self.checkedout() >= self.size() + max_overflow:
            DB_POOL_WAITS.inc()
        try:
            return super()._do_get()
        finally:
            self._report()

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        try:
            super()._do_return_conn(record)
        finally:
            self._report()

    def _report(self) -> None:
        DB_POOL_IN_USE.set(self.checkedout())
        DB_POOL_OVERFLOW.set(max(0, self.overflow()))


def record_ratelimit(
    provider: str, resource: str | None, remaining: int | None, limit: int | None
) -> None:
    """An upstream's rate-limit headers, as last seen."""
    name = (resource or "core").lower()
    label = name if _RESOURCE.fullmatch(name) else "other"
    if remaining is not None:
        UPSTREAM_RATELIMIT_REMAINING.labels(provider, label).set(remaining)
    if limit is not None:
        UPSTREAM_RATELIMIT_LIMIT.labels(provider, label).set(limit)


@dataclass(frozen=True)
class QueueDepth:
    job_type: str
    status: str
    jobs: int
    oldest_due_seconds: float | None


class _QueueCollector(Collector):
    """Queue depth read from the database at scrape time: every process would report the same
    rows, so it is not kept in the per-process files."""

    def __init__(self, depths: Iterable[QueueDepth]) -> None:
        self._depths = list(depths)

    def collect(self) -> Iterator[Any]:
        depth = GaugeMetricFamily(
            "wump_jobs_queue_depth",
            "Jobs waiting or running, by job type and status.",
            labels=["job_type", "status"],
        )
        age = GaugeMetricFamily(
            "wump_jobs_oldest_pending_seconds",
            "Age of the oldest pending job that is due to run, by job type (0: none waits).",
            labels=["job_type"],
        )
        for row in self._depths:
            depth.add_metric([row.job_type, row.status], row.jobs)
            if row.status == "pending":
                age.add_metric([row.job_type], row.oldest_due_seconds or 0.0)
        yield depth
        yield age


def exposition(queue: Iterable[QueueDepth] | None = None) -> bytes:
    """The text exposition of this process's series (every worker's, in multiprocess mode)."""
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if queue is not None:
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(_QueueCollector(queue))
        body += generate_latest(scraped)
    return body


def prepare_multiprocess_dir(path: Path) -> None:
    """Create the directory and remove files of processes from an earlier run, whose counts
    would otherwise be added to this run's."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def mark_process_dead() -> None:
    """Drop this process's live gauges (pool in use) from the multiprocess sums."""
    if is_multiprocess():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def start_metrics_server(host: str, port: int) -> Any:
    """Serve the exposition on its own port from a thread (`wump worker` has no HTTP app);
    returns the server, whose shutdown() stops it."""
    from prometheus_client import start_http_server

    registry = REGISTRY
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
