"""The background jobs. Each task records its attempts in the job ledger, so the API shows
progress; failures are classified by app.jobs.retry and procrastinate reschedules the job."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from procrastinate import JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from app.core.ecosystems import Ecosystem
from app.core.errors import ProviderRateLimited
from app.core.logging import get_logger
from app.core.metrics import JOB_ATTEMPTS, JOB_DURATION, JOB_FAILURES
from app.core.telemetry import job_span
from app.jobs.retry import decide, is_temporary
from app.jobs.runtime import JobRuntime
from app.schemas.job import JobRead
from app.services.ingestion import IngestReport
from app.services.jobs import (
    DISCOVER_PACKAGE_USERS,
    ENRICH_ORGANIZATION,
    INGEST_ORGANIZATION,
    INGEST_REPOSITORY,
    enrich_job,
    organization_job,
)

log = get_logger(__name__)

RUNTIME_KEY = "wump_runtime"
INTERRUPTED = "interrupted by a worker shutdown; queued again"
LOST = "the job queue no longer holds this job; request it again"
REQUEUE_STALLED = "requeue_stalled"
REFRESH_STALE = "refresh_stale"
Work = Callable[[Callable[[IngestReport], Awaitable[None]]], Awaitable[IngestReport]]


class RetryLater(Exception):
    """Raised by a task so procrastinate reschedules the job at `retry_at`."""

    def __init__(self, retry_at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.retry_at = retry_at


class FollowTaskDecision(BaseRetryStrategy):
    """The task decides (it knows the settings and the failure); the queue only obeys."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            return RetryDecision(retry_at=exception.retry_at)
        if isinstance(exception, asyncio.CancelledError | JobAborted):
            # Interrupted by a worker shutdown (procrastinate asks only then): run it again.
            return RetryDecision()
        return None


def runtime_of(context: JobContext) -> JobRuntime:
    runtime: JobRuntime = context.additional_context[RUNTIME_KEY]
    return runtime


async def run_execution(
    runtime: JobRuntime, execution_id: str, work: Work, follow_ups: list[str] | None = None
) -> dict[str, Any]:
    """Run one attempt of a job and keep its ledger entry true; `follow_ups`, filled by `work`,
    names the jobs it queued (recorded when it completes, so `wump ingest --wait` can follow
    them)."""
    key = uuid.UUID(execution_id)
    job = await runtime.jobs.start(key)
    if job is None:
        log.info("jobs.skipped", job_id=execution_id, reason="finished or unknown")
        return {"skipped": True}
    metadata = dict(job.metadata)

    async def progress(report: IngestReport) -> None:
        await runtime.jobs.record_progress(
            key, report.records_processed, {**metadata, "report": report.as_metadata()}
        )

    log.info("jobs.started", job_id=execution_id, job_type=job.job_type)
    job_type = job.job_type
    JOB_ATTEMPTS.labels(job_type).inc()
    started = time.perf_counter()
    outcome = "failed"
    with job_span(job_type, execution_id):
        try:
            report = await work(progress)
            result = report.as_metadata()
            final = {**metadata, "report": result}
            if follow_ups:
                final["follow_ups"] = follow_ups
            await runtime.jobs.complete(key, report.records_processed, final)
            outcome = "completed"
        except Exception as error:
            JOB_FAILURES.labels(job_type, failure_reason(error)).inc()
            try:
                await _record_failure(runtime, job, metadata, error)
            except RetryLater:
                outcome = "retrying"
                raise
            raise
        except asyncio.CancelledError:
            outcome = "interrupted"
            await asyncio.shield(_record_interruption(runtime, key, metadata))
            raise
        finally:
            JOB_DURATION.labels(job_type, outcome).observe(time.perf_counter() - started)
        log.info("jobs.completed", job_id=execution_id, records=report.records_processed)
    return result


def failure_reason(error: BaseException) -> str:
    """A label with few values: the failure's message stays in the log and the job's row."""
    if isinstance(error, ProviderRateLimited):
        return "rate_limited"
    return "temporary" if is_temporary(error) else "permanent"


async def _record_interruption(
    runtime: JobRuntime, key: uuid.UUID, metadata: dict[str, Any]
) -> None:
    try:
        await runtime.jobs.retry_later(key, INTERRUPTED, datetime.now(UTC), metadata)
    except Exception as bookkeeping:
        log.warning("jobs.record_failed", job_id=str(key), error=repr(bookkeeping))
    log.warning("jobs.interrupted", job_id=str(key))


async def _record_failure(
    runtime: JobRuntime, job: JobRead, metadata: dict[str, Any], error: Exception
) -> None:
    failures = int(metadata.get("failures", 0))
    outcome = decide(error, failures, runtime.settings, datetime.now(UTC))
    if outcome.counts_as_failure:
        metadata["failures"] = failures + 1
    metadata["last_error"] = outcome.reason[:2000]
    try:
        if outcome.retry_at is not None:
            await runtime.jobs.retry_later(
                job.id, outcome.reason[:2000], outcome.retry_at, metadata
            )
        else:
            await runtime.jobs.fail(job.id, outcome.reason[:2000], metadata)
    except Exception as bookkeeping:  # the database may be the thing that failed
        log.warning("jobs.record_failed", job_id=str(job.id), error=repr(bookkeeping))
    log.warning(
        "jobs.failed",
        job_id=str(job.id),
        job_type=job.job_type,
        error=outcome.reason[:500],
        retry_at=outcome.retry_at.isoformat() if outcome.retry_at else None,
    )
    if outcome.retry_at is not None:
        raise RetryLater(outcome.retry_at, outcome.reason) from error


async def ingest_organization(context: JobContext, execution_id: str, login: str) -> Any:
    runtime = runtime_of(context)
    return await run_execution(
        runtime,
        execution_id,
        lambda progress: runtime.ingestion.ingest_organization(login, progress),
    )


async def ingest_repository(context: JobContext, execution_id: str, full_name: str) -> Any:
    runtime = runtime_of(context)
    return await run_execution(
        runtime,
        execution_id,
        lambda progress: runtime.ingestion.ingest_repository(full_name, progress),
    )


async def discover_package_users(
    context: JobContext, execution_id: str, ecosystem: str, name: str
) -> Any:
    runtime = runtime_of(context)
    follow_ups: list[str] = []

    async def work(progress: Callable[[IngestReport], Awaitable[None]]) -> IngestReport:
        report = await runtime.ingestion.discover_package_users(
            Ecosystem(ecosystem), name, progress
        )
        # Owners seen through ecosyste.ms are enriched (profile, sponsorship) by jobs of their own.
        for login in report.owners:
            job, _ = await runtime.jobs.enqueue(
                enrich_job(login), requested_by=f"job:{execution_id}"
            )
            follow_ups.append(str(job.id))
        return report

    return await run_execution(runtime, execution_id, work, follow_ups)


async def enrich_organization(context: JobContext, execution_id: str, login: str) -> Any:
    runtime = runtime_of(context)
    return await run_execution(
        runtime, execution_id, lambda _progress: runtime.ingestion.enrich_organization(login)
    )


async def requeue_stalled(context: JobContext, timestamp: int) -> dict[str, int]:
    return await recover_jobs(runtime_of(context))


async def recover_jobs(runtime: JobRuntime) -> dict[str, int]:
    """Jobs of workers that stopped sending heartbeats run again; rows whose queue job was
    never created get one."""
    manager = runtime.queue.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=runtime.settings.job_stalled_after)
    )
    for job in stalled:
        await manager.retry_job(job)
    ids = [job.id for job in stalled if job.id is not None]
    await runtime.jobs.requeue_by_queue_job(
        ids, "the worker running this job stopped; it was queued again"
    )
    if stalled:
        log.warning("jobs.requeued_stalled", queue_job_ids=ids)
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    unqueued = await runtime.jobs.requeue_unqueued(a_minute_ago)
    lost = await runtime.jobs.fail_lost(a_minute_ago, LOST)
    if lost:
        log.warning("jobs.lost", count=lost)
    return {"stalled": len(stalled), "unqueued": unqueued, "lost": lost}


async def refresh_stale(context: JobContext, timestamp: int) -> dict[str, int]:
    return await queue_stale_organizations(runtime_of(context))


async def queue_stale_organizations(runtime: JobRuntime) -> dict[str, int]:
    """Re-crawl the organizations whose last crawl is the oldest (a crawl enriches its owner),
    and re-enrich the owners known only through discovery whose signals are the oldest."""
    settings = runtime.settings
    older_than = timedelta(days=settings.refresh_stale_after_days)
    logins = await runtime.ingestion.list_stale_organizations(
        older_than, settings.refresh_stale_batch
    )
    queued = 0
    for login in logins:
        _execution, created = await runtime.jobs.enqueue(
            organization_job(login), requested_by=REFRESH_STALE
        )
        queued += created
    owners = await runtime.ingestion.list_unenriched_owners(
        older_than, settings.refresh_stale_batch
    )
    enriched = 0
    for login in owners:
        _execution, created = await runtime.jobs.enqueue(
            enrich_job(login), requested_by=REFRESH_STALE
        )
        enriched += created
    return {"queued": queued, "enrich_queued": enriched}


def requeue_interval_seconds(stalled_after: float) -> int:
    """How often dead workers are looked for: a quarter of the heartbeat timeout, 5 to 59 s."""
    return max(5, min(59, int(stalled_after / 4)))


def register(app: procrastinate.App, stalled_after: float) -> None:
    """Declare every task on `app` (the worker's queue)."""
    retry = FollowTaskDecision()
    for function, name in (
        (ingest_organization, INGEST_ORGANIZATION),
        (ingest_repository, INGEST_REPOSITORY),
        (discover_package_users, DISCOVER_PACKAGE_USERS),
        (enrich_organization, ENRICH_ORGANIZATION),
    ):
        app.task(name=name, pass_context=True, retry=retry)(function)
    every = requeue_interval_seconds(stalled_after)
    app.periodic(cron=f"* * * * * */{every}")(
        app.task(name=REQUEUE_STALLED, pass_context=True)(requeue_stalled)
    )
    app.periodic(cron="17 * * * *")(app.task(name=REFRESH_STALE, pass_context=True)(refresh_stale))
