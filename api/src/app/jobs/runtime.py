"""What a job needs at hand: database sessions, the cache, the providers and the queue."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import procrastinate
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.cache import Cache, create_cache, resolve_valkey_url
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.providers import build_providers
from app.providers.http import create_http_client
from app.providers.webhook import WebhookSender
from app.services.ingestion import IngestionService
from app.services.jobs import JobService
from app.services.usage_cache import UsageCache
from app.services.webhook import WebhookDeliverer


@dataclass(frozen=True)
class JobRuntime:
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    queue: procrastinate.App
    ingestion: IngestionService
    jobs: JobService
    webhooks: WebhookDeliverer


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    queue: procrastinate.App,
    *,
    engine: AsyncEngine | None = None,
    cache: Cache | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[JobRuntime]:
    """Reuses the engine and cache it is given (the API process's); opens and closes the rest."""
    async with AsyncExitStack() as stack:
        if engine is None:
            engine = create_engine(settings, statement_timeout=settings.job_statement_timeout)
            stack.push_async_callback(engine.dispose)
        if cache is None:
            cache = create_cache(settings)
            stack.push_async_callback(cache.aclose)
        http = create_http_client(settings, transport)
        stack.push_async_callback(http.aclose)
        session_factory = create_session_factory(engine)
        # Conditional requests need a cache other processes share; the in-process one is not.
        shared_cache = cache if resolve_valkey_url(settings) is not None else None
        providers = build_providers(settings, http, shared_cache)
        ingestion = IngestionService(
            session_factory,
            providers,
            UsageCache(cache),
            concurrency=settings.ingest_concurrency,
            manifest_max_bytes=settings.manifest_max_bytes,
            manifest_via_limit=settings.manifest_via_limit,
            record_events=settings.usage_events_enabled,
        )
        # Deliveries go to whatever endpoints subscribers gave: no proxies from the
        # environment, no redirects, and the address checks of WebhookSender.
        webhook_http = httpx.AsyncClient(trust_env=False, follow_redirects=False)
        stack.push_async_callback(webhook_http.aclose)
        sender = WebhookSender(
            webhook_http,
            allow_private=settings.webhook_allow_private_addresses,
            timeout=settings.webhook_timeout,
        )
        yield JobRuntime(
            settings,
            session_factory,
            queue,
            ingestion,
            JobService(session_factory, queue),
            WebhookDeliverer(session_factory, sender, settings),
        )
