"""`wump scan --ingest`: store a local checkout's manifests in the database of DATABASE_URL, of a
running `wump serve`, or of the embedded server started for the command."""

import asyncio
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from app.cli.common import database_settings, fail
from app.core.cache import create_cache, resolve_valkey_url
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.core.logging import configure_logging
from app.providers.base import ProviderRegistry
from app.services.ingestion import IngestionService, IngestReport
from app.services.usage_cache import UsageCache


async def _ingest(settings: Settings, login: str, repository: str, directory: Path) -> IngestReport:
    engine = create_engine(settings)
    # The servers' Valkey, so cached answers about the touched packages are invalidated there.
    cache = create_cache(settings) if resolve_valkey_url(settings) is not None else None
    try:
        service = IngestionService(
            create_session_factory(engine),
            # A checkout is read from the disk: no upstream provider is asked anything.
            ProviderRegistry(),
            UsageCache(cache) if cache is not None else None,
            manifest_max_bytes=settings.manifest_max_bytes,
            manifest_via_limit=settings.manifest_via_limit,
            record_events=settings.usage_events_enabled,
        )
        return await service.ingest_checkout(login, repository, directory)
    finally:
        if cache is not None:
            await cache.aclose()
        await engine.dispose()


def run_checkout_ingest(
    settings: Settings, login: str, repository: str, directory: Path
) -> IngestReport:
    # Logs go to stderr, so stdout carries only the summary line.
    configure_logging(settings.log_level, settings.effective_log_format)
    with database_settings(settings) as settings:
        try:
            return asyncio.run(_ingest(settings, login, repository, directory))
        except (OSError, DBAPIError) as error:
            fail(f"cannot use the database: {str(error).splitlines()[0]}", code=1)
