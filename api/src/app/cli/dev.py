"""`wump dev seed`: load the synthetic dataset into the configured (or embedded) database."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, cast

import typer

from app.cli.common import fail, settings_or_exit
from app.cli.fake_upstream import dev

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.services.seed import Scale, SeedReport


async def _clear_cached_answers(settings: Settings) -> str:
    """Remove the answers cached from the data the seed replaced, in the Valkey of VALKEY_URL
    or of a running `wump serve`; what happened, for the summary line."""
    from redis.exceptions import RedisError

    from app.core.cache import create_cache, resolve_valkey_url
    from app.services.usage_cache import UsageCache

    if resolve_valkey_url(settings) is None:
        return "no Valkey is running, so no answer was cached"
    cache = create_cache(settings)
    try:
        removed = await UsageCache(cache).clear()
    except (RedisError, OSError) as error:
        return f"cached answers could not be cleared ({error}); they expire within their TTL"
    finally:
        await cache.aclose()
    return f"cleared {removed} cached answer{'' if removed == 1 else 's'}"


async def _seed(url: str, scale: Scale, seed: int, reset: bool) -> SeedReport:
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.services.seed import seed_database

    engine = create_async_engine(url)
    try:
        return await seed_database(engine, scale, seed, reset=reset)
    finally:
        await engine.dispose()


@dev.command("seed")
def seed(
    scale: Annotated[
        str, typer.Option(help="Dataset size: small, medium or full (20M dependencies).")
    ] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 42,
    reset: Annotated[
        bool, typer.Option(help="Replace the data (API keys, webhooks stay).")
    ] = False,
) -> None:
    """Load a deterministic synthetic dataset with COPY and build the read side."""
    from app.core import migrate as migrations
    from app.core.db import resolve_database_url
    from app.core.embedded import EmbeddedError, EmbeddedPostgres, ensure_database, tune_memory
    from app.core.logging import configure_logging
    from app.services.seed import SCALES

    if scale not in SCALES:
        fail(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.effective_log_format)
    embedded = None
    url = resolve_database_url(settings)
    try:
        if url is None:
            embedded = EmbeddedPostgres(settings.wump_data_dir)
            started = embedded.start()
            asyncio.run(ensure_database(started))
            url = asyncio.run(tune_memory(embedded, started))
        migrations.upgrade(url)
        report = asyncio.run(_seed(url, cast("Scale", scale), seed, reset))
        cleared = asyncio.run(_clear_cached_answers(settings))
    except EmbeddedError as error:
        fail(str(error))
    except ValueError as error:
        fail(str(error))
    finally:
        if embedded is not None:
            embedded.stop()
    typer.echo(
        f"seeded {report.organizations} organizations, {report.repositories} repositories, "
        f"{report.packages} packages, {report.dependencies} dependencies "
        f"in {report.seconds} s; {cleared}"
    )
