"""Requesting background jobs and reading their progress.

A request first writes (or joins) its job_executions row, then defers the queue job by task
name, so the API never imports the tasks and two requests for one subject share one job.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate.exceptions import ProcrastinateException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.ecosystems import Ecosystem, normalize_name
from app.core.errors import InvalidJobSubject, JobNotFound, QueueUnavailable, UnknownEcosystem
from app.core.github_names import is_login, is_repository_name
from app.core.logging import get_logger
from app.core.metrics import QueueDepth
from app.models.job_execution import ACTIVE_STATUSES, JobExecution
from app.repositories.job_execution import JobExecutionRepository
from app.schemas.job import JobRead
from app.schemas.pagination import Page
from app.services.paging import Keyset, paginate

log = get_logger(__name__)

INGEST_ORGANIZATION = "ingest_organization"
INGEST_REPOSITORY = "ingest_repository"
DISCOVER_PACKAGE_USERS = "discover_package_users"
ENRICH_ORGANIZATION = "enrich_organization"
JOB_TYPES = (INGEST_ORGANIZATION, INGEST_REPOSITORY, DISCOVER_PACKAGE_USERS, ENRICH_ORGANIZATION)
# Newest first: uuidv7 ids are in creation order, so the id alone orders the list.
_JOBS = Keyset("jobs", None, "none", id_type="uuid")


@dataclass(frozen=True)
class JobRequest:
    job_type: str
    subject: str
    lock: str
    arguments: dict[str, str] = field(default_factory=dict)


def check_login(login: str) -> str:
    if not is_login(login):
        raise InvalidJobSubject(f"{login[:100]!r} is not a GitHub login", field="login")
    return login


def organization_job(login: str) -> JobRequest:
    subject = check_login(login).lower()
    return JobRequest(INGEST_ORGANIZATION, subject, f"organization:{subject}", {"login": login})


def enrich_job(login: str) -> JobRequest:
    subject = check_login(login).lower()
    return JobRequest(ENRICH_ORGANIZATION, subject, f"organization:{subject}", {"login": login})


def repository_job(full_name: str) -> JobRequest:
    owner, _, name = full_name.partition("/")
    check_login(owner)
    if not is_repository_name(name):
        raise InvalidJobSubject(
            f"{full_name[:200]!r} is not a repository full name (owner/name)", field="full_name"
        )
    subject = full_name.lower()
    return JobRequest(INGEST_REPOSITORY, subject, f"repository:{subject}", {"full_name": full_name})


def package_job(ecosystem: str, name: str) -> JobRequest:
    try:
        parsed = Ecosystem(ecosystem)
    except ValueError:
        raise UnknownEcosystem(ecosystem) from None
    if not name.strip() or len(name) > 500 or "\x00" in name:
        raise InvalidJobSubject("the package name is empty or too long", field="name")
    normalized = normalize_name(parsed, name)
    subject = f"{parsed.value}/{normalized}"
    return JobRequest(
        DISCOVER_PACKAGE_USERS,
        subject,
        f"package:{subject}",
        {"ecosystem": parsed.value, "name": normalized},
    )


def parse_job_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise JobNotFound(f"no job {value[:100]!r}") from None


def job_read(execution: JobExecution) -> JobRead:
    job = JobRead.model_validate(execution)
    job.url = f"/api/v1/jobs/{execution.id}"
    return job


class JobService:
    """The job ledger: job_executions rows, read and written in short transactions of their
    own (a job's row must be visible before its queue job exists), answered as schemas."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], queue: procrastinate.App
    ) -> None:
        self._sessions = session_factory
        self._queue = queue

    # Requests and reads

    async def enqueue(
        self, request: JobRequest, *, requested_by: str | None = None
    ) -> tuple[JobRead, bool]:
        """The job and whether it is new; a pending or running job of the same type and
        subject is returned instead of starting a second one."""
        async with self._sessions.begin() as session:
            execution, created = await JobExecutionRepository(session).create_or_get_active(
                request.job_type, request.subject, requested_by, {"arguments": request.arguments}
            )
        if created:
            execution.queue_job_id = await self._defer(execution.id, request)
        return job_read(execution), created

    async def _defer(self, job_id: uuid.UUID, request: JobRequest) -> int:
        try:
            queue_job_id = await self._queue.configure_task(
                name=request.job_type, lock=request.lock
            ).defer_async(execution_id=str(job_id), **request.arguments)
        except ProcrastinateException as error:
            log.warning("jobs.defer_failed", job_id=str(job_id), error=repr(error))
            await self.fail(job_id, "the job could not be queued; request it again")
            raise QueueUnavailable("the job queue is unavailable; try again shortly") from None
        async with self._sessions.begin() as session:
            await JobExecutionRepository(session).set_queue_job(job_id, queue_job_id)
        return queue_job_id

    async def get(self, job_id: uuid.UUID) -> JobRead:
        async with self._sessions() as session:
            execution = await JobExecutionRepository(session).get(job_id)
        if execution is None:
            raise JobNotFound(f"no job {job_id}")
        return job_read(execution)

    async def list_jobs(
        self, *, status: str | None, job_type: str | None, cursor: str | None, limit: int
    ) -> Page[JobRead]:
        """Newest first; no total (the ledger grows without bound)."""
        after = _JOBS.after(cursor)
        async with self._sessions() as session:
            rows = await JobExecutionRepository(session).list_recent(
                status=status,
                job_type=job_type,
                before=after[1] if after is not None else None,
                limit=limit + 1,
            )
        rows, next_cursor = paginate(rows, limit, _JOBS)
        return Page(items=[job_read(row) for row in rows], next_cursor=next_cursor)

    async def count_by_status(self, job_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        """How many of the given jobs are in each status."""
        async with self._sessions() as session:
            return await JobExecutionRepository(session).count_by_status(job_ids)

    # Attempts, as the worker runs them

    async def start(self, job_id: uuid.UUID) -> JobRead | None:
        """Count an attempt; None when the job is gone or already finished (skip it)."""
        async with self._sessions.begin() as session:
            execution = await JobExecutionRepository(session).mark_running(job_id)
        return job_read(execution) if execution is not None else None

    async def record_progress(
        self, job_id: uuid.UUID, records: int, metadata: dict[str, Any]
    ) -> None:
        async with self._sessions.begin() as session:
            await JobExecutionRepository(session).record_progress(job_id, records, metadata)

    async def complete(self, job_id: uuid.UUID, records: int, metadata: dict[str, Any]) -> None:
        async with self._sessions.begin() as session:
            await JobExecutionRepository(session).mark_completed(job_id, records, metadata)

    async def retry_later(
        self, job_id: uuid.UUID, reason: str, retry_at: datetime, metadata: dict[str, Any]
    ) -> None:
        """Back to pending until `retry_at`, with the reason shown as its error."""
        async with self._sessions.begin() as session:
            await JobExecutionRepository(session).mark_retrying(job_id, reason, retry_at, metadata)

    async def fail(
        self, job_id: uuid.UUID, reason: str, metadata: dict[str, Any] | None = None
    ) -> None:
        async with self._sessions.begin() as session:
            await JobExecutionRepository(session).mark_failed(job_id, reason, metadata)

    async def requeue_by_queue_job(self, queue_job_ids: list[int], reason: str) -> int:
        """Running jobs of the given queue jobs go back to pending (their worker died)."""
        async with self._sessions.begin() as session:
            return await JobExecutionRepository(session).requeue_by_queue_job(queue_job_ids, reason)

    async def fail_lost(self, untouched_since: datetime, reason: str) -> int:
        """Fail active jobs whose queue job ended without them, so their subject can be
        requested again."""
        async with self._sessions.begin() as session:
            return await JobExecutionRepository(session).fail_lost(untouched_since, reason)

    async def queue_depth(self) -> list[QueueDepth]:
        """Pending and running jobs of every type, zeros included, so no series goes missing."""
        async with self._sessions() as session:
            rows = await JobExecutionRepository(session).count_active()
        found = {(job_type, status): (jobs, age) for job_type, status, jobs, age in rows}
        return [
            QueueDepth(job_type, status, *found.get((job_type, status), (0, None)))
            for job_type in JOB_TYPES
            for status in ACTIVE_STATUSES
        ]

    async def requeue_unqueued(self, older_than: datetime, limit: int = 100) -> int:
        """Defer the queue job of rows whose process died between the insert and the deferral."""
        async with self._sessions() as session:
            orphans = await JobExecutionRepository(session).list_unqueued(older_than, limit)
        for execution in orphans:
            arguments: dict[str, Any] = dict(execution.details.get("arguments") or {})
            request = _request_for(execution.job_type, arguments)
            if request is None:
                await self.fail(execution.id, "unknown job type")
                continue
            await self._defer(execution.id, request)
        return len(orphans)


def _request_for(job_type: str, arguments: dict[str, Any]) -> JobRequest | None:
    match job_type:
        case "ingest_organization":
            return organization_job(str(arguments["login"]))
        case "enrich_organization":
            return enrich_job(str(arguments["login"]))
        case "ingest_repository":
            return repository_job(str(arguments["full_name"]))
        case "discover_package_users":
            return package_job(str(arguments["ecosystem"]), str(arguments["name"]))
    return None
