"""The FastAPI application: create_app() and the lifespan that owns engine and cache."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api import health, metrics
from app.api.auth import RequireRead
from app.api.cache_first import CacheFirstMiddleware
from app.api.errors import install_error_handlers
from app.api.head import HeadMiddleware
from app.api.input_guard import InputGuardMiddleware
from app.api.middleware import SecurityMiddleware
from app.api.openapi import install_openapi
from app.api.state import AppState, set_app_state
from app.api.v1 import include_v1
from app.api.warm_up import warm_up
from app.core.breaker import CircuitBreaker
from app.core.cache import GuardedCache, create_cache, resolve_valkey_url
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_session_factory, transactional
from app.core.logging import configure_logging, get_logger
from app.core.metrics import MetricsMiddleware, mark_process_dead
from app.core.middleware import REQUEST_ID_HEADER, RequestContextMiddleware
from app.core.orphan import watch_parent
from app.core.queue import create_queue
from app.core.rate_limit import FailureLimiter, RateLimiter
from app.core.security import resolve_api_key_secret
from app.core.telemetry import configure_from_environment, current_provider
from app.jobs.runtime import open_runtime
from app.jobs.worker import run_worker
from app.services.api_key import KeyCache
from app.services.health import service_version
from app.web import docs, pages
from app.web.errors import install_error_pages

log = get_logger(__name__)

# Browsers show scripts only the response headers CORS exposes.
RATE_LIMIT_HEADERS = [
    "RateLimit",
    "RateLimit-Policy",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # A worker of `wump serve --workers N` stops when the serve process is killed.
    watch_parent()
    # Without a transaction block unless a session asks for one: requests that only read (GET,
    # HEAD) need none (see AUTOCOMMIT).
    engine = create_engine(settings, custom_plans=True, autocommit=True)
    # One breaker for everything that talks to Valkey here: cache, key cache and rate limits.
    breaker = CircuitBreaker("valkey", settings.valkey_breaker_cooldown)
    cache = create_cache(settings, breaker)
    # Read-only endpoints read from the replica when there is one, else from the primary.
    read_engine = (
        create_engine(settings, settings.database_read_url, custom_plans=True, autocommit=True)
        if settings.database_read_url
        else None
    )
    # One budget bounds every wait of a request on the database (see BoundedSession).
    budget = settings.database_statement_timeout
    session_factory = create_session_factory(transactional(engine), budget=budget)
    read_only = create_session_factory(engine, budget=budget)
    valkey_url = resolve_valkey_url(settings)
    rate_limiter = RateLimiter(
        valkey_url,
        socket_timeout=settings.valkey_socket_timeout,
        breaker=breaker,
        connection_pool=cache.connection_pool if isinstance(cache, GuardedCache) else None,
    )
    in_process = settings.runs_worker_in_process
    queue = create_queue(
        settings, max_connections=4 + (settings.worker_concurrency if in_process else 0)
    )
    await queue.open_async()
    set_app_state(
        app,
        AppState(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            read_only_session_factory=read_only,
            read_engine=read_engine,
            read_session_factory=(
                create_session_factory(read_engine, budget=budget) if read_engine else read_only
            ),
            cache=cache,
            valkey_breaker=breaker,
            rate_limiter=rate_limiter,
            # Without a real Valkey no other process could clear a revoked key's cached lookup.
            key_cache=KeyCache(
                cache if valkey_url is not None else None, settings.api_key_last_used_interval
            ),
            api_key_secret=resolve_api_key_secret(settings),
            auth_failures=FailureLimiter(settings.auth_failure_limit),
            queue=queue,
        ),
    )
    if settings.warm_up_on_start:
        await warm_up(app)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if in_process:
                # The worker's own engine: jobs get their statement timeout and never take
                # the connections API requests wait for.
                runtime = await stack.enter_async_context(
                    open_runtime(settings, queue, cache=cache)
                )
                stop = asyncio.Event()
                worker = asyncio.create_task(run_worker(runtime, stop), name="wump-worker")
                stack.push_async_callback(_stop_worker, stop, worker)
            # What start-up built (modules, routes, schemas, the pools) lives as long as the
            # process: frozen out of the cyclic collector, a full collection no longer walks it
            # all, a pause of 50-130 ms that otherwise lands on whichever request triggers it.
            # Not in tests: one process builds hundreds of apps there, and frozen objects are
            # never collected.
            if settings.environment != "test":
                gc.collect()
                gc.freeze()
            log.info("app.started", environment=settings.environment, worker=in_process)
            yield
    finally:
        await queue.close_async()
        await rate_limiter.aclose()
        await cache.aclose()
        await engine.dispose()
        if read_engine is not None:
            await read_engine.dispose()
        mark_process_dead()
        log.info("app.stopped")


async def _stop_worker(stop: asyncio.Event, worker: asyncio.Task[None]) -> None:
    # The worker lets the jobs it runs finish (up to its grace period), then returns.
    stop.set()
    await worker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    tracer_provider = configure_from_environment("wump-api") or current_provider()
    app = FastAPI(
        title="wump API",
        summary="Who's using my package? The organizations that depend on an open-source package.",
        version=service_version(),
        lifespan=lifespan,
        # Served from vendored assets by app.web.docs, so they work with no network.
        docs_url=None,
        redoc_url=None,
        # FastAPI's own request spans; without a provider they cost nothing.
        telemetry={"tracer_provider": tracer_provider} if tracer_provider else None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_error_pages(app)
    install_openapi(app, anonymous_reads=settings.anonymous_access)
    # Innermost: a cached answer gets every header the other middleware add to any answer.
    app.add_middleware(CacheFirstMiddleware)
    # Outside the cache: a HEAD is answered from the GET's cached answer too.
    app.add_middleware(HeadMiddleware)
    if settings.cors_origins:
        wildcard = settings.cors_origins == ["*"]
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=not wildcard,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=[REQUEST_ID_HEADER, *RATE_LIMIT_HEADERS],
        )
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(
        SecurityMiddleware,
        max_body_bytes=settings.request_body_max_bytes,
        https_only=settings.https_only,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(metrics.router)
    include_v1(app)
    app.include_router(docs.router)
    # The pages read what anonymous API callers read, under the same rate limit.
    app.include_router(pages.router, dependencies=[RequireRead])
    docs.mount_static(app)
    return app
