"""`wump serve` and `wump migrate`."""

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import exit_cleanly_on_stop_signals, fail, settings_or_exit
from app.cli.root import cli

# prometheus_client reads it when first imported, so it is set before anything imports it.
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_directory(workers: int) -> Path | None:
    """Make multiprocess metrics work: the operator's directory, emptied of an earlier run's
    files, or with several workers a fresh one of ours (returned, to be removed at exit)."""
    given = os.environ.get(METRICS_DIR_ENV)
    if given:
        path = Path(given)
        try:
            path.mkdir(parents=True, exist_ok=True)
            for stale in path.glob("*.db"):
                stale.unlink()
        except OSError as error:
            fail(f"{METRICS_DIR_ENV} {given!r} is not a writable directory: {error}")
        return None
    if workers == 1:
        return None
    path = Path(tempfile.mkdtemp(prefix="wump-metrics-"))
    os.environ[METRICS_DIR_ENV] = str(path)
    return path


def worker_processes(requested: int | None, environment: str, *, reload: bool) -> int:
    """What `--workers` asked for; by default one process per core in production (Python runs
    one request handler per process at a time) and one in development and tests, where one process
    is easier to follow and reload needs it."""
    if requested is not None:
        return requested
    if reload or environment in ("development", "test"):
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to bind.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes [default: one per core in production, else 1].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the API. Without DATABASE_URL / VALKEY_URL, start embedded servers and migrate."""
    import uvicorn

    from app.core import migrate as migrations
    from app.core.embedded import EmbeddedError, EmbeddedServers
    from app.core.http_protocol import BoundedHttpToolsProtocol
    from app.core.logging import configure_logging
    from app.core.orphan import SERVE_PID_ENV

    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.effective_log_format)
    workers = worker_processes(workers, settings.environment, reload=reload)
    own_metrics_dir = _metrics_directory(workers)
    embedded = None
    if settings.is_embedded_database or settings.is_embedded_cache:
        embedded = EmbeddedServers(
            settings.wump_data_dir,
            database=settings.is_embedded_database,
            cache=settings.is_embedded_cache,
            tune=True,
        )
        try:
            urls = asyncio.run(embedded.start())
        except EmbeddedError as error:
            fail(str(error))
        # The app processes (one per worker, or the reloader's child) read these.
        if urls.database_url is not None:
            os.environ["DATABASE_URL"] = urls.database_url
            # One command ingests too: the embedded set-up runs its worker inside the server.
            os.environ.setdefault("WORKER_IN_PROCESS", "true")
        if urls.valkey_url is not None:
            os.environ["VALKEY_URL"] = urls.valkey_url
    # uvicorn re-raises the signal that stopped it; exit cleanly instead, so the embedded
    # servers below are stopped rather than left running.
    exit_cleanly_on_stop_signals()
    # Restarts an embedded server that exits (with backoff) while the API runs.
    supervisor = embedded.supervise() if embedded is not None else None
    try:
        if embedded is not None and settings.is_embedded_database:
            migrations.upgrade(os.environ["DATABASE_URL"])
        # Worker processes (and the reloader's child) stop when this process is killed.
        os.environ[SERVE_PID_ENV] = str(os.getpid())
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=workers,
            log_config=None,
            access_log=False,
            proxy_headers=False,
            # httptools parses in C; this protocol bounds the request head as h11 would (read
            # from h11_max_incomplete_event_size), so one oversized header cannot cost the
            # process its size in memory.
            http=BoundedHttpToolsProtocol,
            h11_max_incomplete_event_size=settings.http_max_header_bytes,
        )
    finally:
        if supervisor is not None:
            supervisor.stop()
        if embedded is not None:
            embedded.stop()
        if own_metrics_dir is not None:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (the embedded server when DATABASE_URL is unset)."""
    from app.core import migrate as migrations
    from app.core.embedded import EmbeddedError
    from app.core.logging import configure_logging, get_logger

    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.effective_log_format)
    try:
        migrations.upgrade(revision=revision)
    except EmbeddedError as error:
        fail(str(error))
    except Exception as error:
        fail(f"migration failed: {error}", code=1)
    get_logger(__name__).info("migrate.done", revision=revision)
