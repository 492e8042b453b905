"""`wump worker` runs background jobs; `wump ingest ...` requests them (and can wait)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from app.cli.common import (
    database_settings,
    exit_cleanly_on_stop_signals,
    fail,
    settings_or_exit,
)
from app.cli.root import PLAIN_HELP, cli
from app.core.errors import WumpError

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.schemas.job import JobRead
    from app.services.jobs import JobRequest, JobService

T = TypeVar("T")

ingest = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=PLAIN_HELP,
    help="Queue ingestion jobs (run by wump worker).",
)
cli.add_typer(ingest, name="ingest")

# Seconds between two looks at a job's row while --wait follows it.
POLL_INTERVAL_S = 1.0
# A pending job nobody has started after this long probably has no worker to run it.
NO_WORKER_HINT_AFTER_S = 15.0


def _settings() -> Settings:
    from app.core.logging import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.effective_log_format)
    return settings


@cli.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Jobs at once (default WORKER_CONCURRENCY).")
    ] = None,
) -> None:
    """Run background jobs (ingestion, refreshes) until SIGINT or SIGTERM."""
    from app.core.logging import get_logger
    from app.core.metrics import start_metrics_server
    from app.core.queue import create_queue
    from app.core.telemetry import configure_from_environment
    from app.jobs.runtime import open_runtime
    from app.jobs.worker import run_worker

    log = get_logger(__name__)
    settings = _settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    configure_from_environment("wump-worker")
    # A stop asked for while the worker starts (its metrics already served, its database not
    # yet up) ends it cleanly too; once it runs, a stop lets the jobs in hand finish.
    exit_cleanly_on_stop_signals()
    metrics_server = None
    if settings.worker_metrics_port:
        host, port = settings.worker_metrics_host, settings.worker_metrics_port
        try:
            metrics_server = start_metrics_server(host, port)
        except OSError as error:
            fail(f"cannot serve metrics on {host}:{port} (WORKER_METRICS_PORT): {error}")
        log.info("worker.metrics", url=f"http://{host}:{port}/metrics")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, stop.set)
        queue = create_queue(settings, max_connections=settings.worker_concurrency + 4)
        async with queue.open_async(), open_runtime(settings, queue) as runtime:
            log.info("worker.started", concurrency=settings.worker_concurrency)
            await run_worker(runtime, stop)
        log.info("worker.stopped")

    try:
        with database_settings(settings) as settings:
            asyncio.run(main())
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()


async def _with_jobs(settings: Settings, action: Callable[[JobService], Awaitable[T]]) -> T:
    from app.core.db import create_engine, create_session_factory
    from app.core.queue import create_queue
    from app.services.jobs import JobService

    engine = create_engine(settings)
    queue = create_queue(settings, max_connections=2)
    try:
        async with queue.open_async():
            return await action(JobService(create_session_factory(engine), queue))
    finally:
        await engine.dispose()


def _request(request: Callable[[], JobRequest], wait: bool, timeout: float | None) -> None:
    from procrastinate.exceptions import ProcrastinateException
    from sqlalchemy.exc import DBAPIError

    from app.core.db import resolve_database_url

    settings = _settings()
    try:
        job_request = request()
    except WumpError as error:
        fail(error.detail)
    # Without a running `wump serve` the embedded database is started for this command only,
    # and nothing runs the job until a server or a worker starts on it.
    no_worker = resolve_database_url(settings) is None

    async def action(service: JobService) -> JobRead:
        job, created = await service.enqueue(job_request, requested_by="cli")
        typer.echo(
            f"job {job.id} {'queued' if created else 'already ' + job.status}: "
            f"{job.job_type} {job.subject}"
        )
        if no_worker and created:
            typer.echo(
                "no `wump serve` runs on this data directory: the job runs when `wump serve`"
                " or `wump worker` starts"
            )
        if not wait or no_worker:
            return job
        async with asyncio.timeout(timeout):
            job = await _follow(service, job)
            if job.status == "completed":
                await _follow_ups(service, job)
        return job

    with database_settings(settings) as settings:
        try:
            job = asyncio.run(_with_jobs(settings, action))
        except WumpError as error:
            fail(error.detail, code=1)
        except TimeoutError:  # before OSError, its base class
            fail(f"still not finished after {timeout:g} s; the job goes on", code=3)
        except (OSError, DBAPIError, ProcrastinateException) as error:
            fail(f"cannot use the database: {error}", code=1)
    if wait and job.status == "failed":
        fail(f"job failed: {job.error_message}", code=1)


def plural(count: int, noun: str) -> str:
    """`1 repository`, `2 repositories`, `1 dependency row`, `0 dependency rows`."""
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}s"


async def _follow(service: JobService, job: JobRead) -> JobRead:
    """Poll the job until it ends, printing each change of a running job once, then one
    summary line for the end."""
    started = time.monotonic()
    seen = (job.status, job.records_processed, job.attempts)
    hinted = False
    while job.status not in ("completed", "failed"):
        await asyncio.sleep(POLL_INTERVAL_S)
        job = await service.get(job.id)
        now = (job.status, job.records_processed, job.attempts)
        if now != seen and job.status not in ("completed", "failed"):
            line = f"{job.status}: {plural(job.records_processed, 'dependency row')}"
            if job.error_message and job.status == "pending":
                line += f" (retrying: {job.error_message})"
            typer.echo(line)
        elif (
            not hinted and job.attempts == 0 and time.monotonic() - started > NO_WORKER_HINT_AFTER_S
        ):
            hinted = True
            typer.echo("still pending: is a worker running (wump serve or wump worker)?", err=True)
        seen = now
    report = job.metadata.get("report") or {}
    typer.echo(
        f"{job.status}: {plural(job.records_processed, 'dependency row')}, "
        f"{plural(int(report.get('repositories', 0)), 'repository')}, "
        f"{report.get('failed_repositories', 0)} failed"
    )
    return job


async def _follow_ups(service: JobService, job: JobRead) -> None:
    """Wait for the jobs this one queued (owner enrichment after a package discovery)."""
    ids = [uuid.UUID(value) for value in job.metadata.get("follow_ups") or []]
    if not ids:
        return
    typer.echo(f"waiting for {plural(len(ids), 'follow-up job')} (owner profiles)")
    while True:
        counts = await service.count_by_status(ids)
        ended = counts.get("completed", 0) + counts.get("failed", 0)
        if ended >= len(ids) or (sum(counts.values()) < len(ids) and not counts.get("running")):
            break
        await asyncio.sleep(POLL_INTERVAL_S)
    typer.echo(
        f"follow-up jobs: {counts.get('completed', 0)} completed, {counts.get('failed', 0)} failed"
    )


WaitOption = Annotated[bool, typer.Option("--wait", help="Follow the job until it ends.")]
TimeoutOption = Annotated[
    float | None, typer.Option(min=1, help="With --wait: give up waiting after this many seconds.")
]


@ingest.command("org")
def ingest_org(
    login: Annotated[str, typer.Argument(help="GitHub organization or user login.")],
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Crawl an organization's repositories and their manifests."""
    from app.services.jobs import organization_job

    _request(lambda: organization_job(login), wait, timeout)


@ingest.command("repo")
def ingest_repo(
    full_name: Annotated[str, typer.Argument(help="owner/name")],
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Scan one repository's manifests."""
    from app.services.jobs import repository_job

    _request(lambda: repository_job(full_name), wait, timeout)


@ingest.command("package")
def ingest_package(
    ecosystem: Annotated[str, typer.Argument(help="npm, pypi, go, cargo, rubygems, ...")],
    name: Annotated[str, typer.Argument(help="The package name.")],
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Discover the repositories and organizations that depend on a package."""
    from app.services.jobs import package_job

    _request(lambda: package_job(ecosystem, name), wait, timeout)
