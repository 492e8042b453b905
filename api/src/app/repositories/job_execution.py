"""SQL for job_executions: one row per requested job, updated as its attempts run."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.job_execution import ACTIVE_STATUS_PREDICATE, ACTIVE_STATUSES, JobExecution


class JobExecutionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create_or_get_active(
        self, job_type: str, subject: str, requested_by: str | None, details: dict[str, Any]
    ) -> tuple[JobExecution, bool]:
        """A new pending row, or the pending/running one of the same job and subject
        (False): concurrent requests for one organization or package share one job."""
        inserted = await self._session.execute(
            insert(JobExecution)
            .values(job_type=job_type, subject=subject, requested_by=requested_by, details=details)
            .on_conflict_do_nothing(
                index_elements=["job_type", "subject"],
                index_where=text(ACTIVE_STATUS_PREDICATE),
            )
            .returning(JobExecution.id)
        )
        new_id = inserted.scalar_one_or_none()
        if new_id is not None:
            created = await self.get(new_id)
            assert created is not None
            return created, True
        active = await self._session.execute(
            select(JobExecution).where(
                JobExecution.job_type == job_type,
                JobExecution.subject == subject,
                JobExecution.status.in_(ACTIVE_STATUSES),
            )
        )
        found = active.scalar_one_or_none()
        if found is None:  # it finished between the two statements: start a new one
            return await self.create_or_get_active(job_type, subject, requested_by, details)
        return found, False

    async def get(self, execution_id: uuid.UUID) -> JobExecution | None:
        result = await self._session.execute(
            select(JobExecution)
            .where(JobExecution.id == execution_id)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def list_recent(
        self, *, status: str | None, job_type: str | None, before: uuid.UUID | None, limit: int
    ) -> list[JobExecution]:
        """Newest first (uuidv7 keys are in creation order)."""
        stmt = select(JobExecution)
        if status is not None:
            stmt = stmt.where(JobExecution.status == status)
        if job_type is not None:
            stmt = stmt.where(JobExecution.job_type == job_type)
        if before is not None:
            stmt = stmt.where(JobExecution.id < before)
        result = await self._session.execute(stmt.order_by(JobExecution.id.desc()).limit(limit))
        return list(result.scalars())

    async def count_by_status(self, execution_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        if not execution_ids:
            return {}
        result = await self._session.execute(
            select(JobExecution.status, func.count())
            .where(JobExecution.id.in_(list(execution_ids)))
            .group_by(JobExecution.status)
        )
        return {status: int(count) for status, count in result}

    async def count_active(self) -> list[tuple[str, str, int, float | None]]:
        """(job type, status, jobs, age in seconds of the oldest pending job that is due) for
        pending and running jobs; a retry waiting for its time is not yet due."""
        due_since = func.coalesce(JobExecution.scheduled_at, JobExecution.created_at)
        oldest = func.max(func.extract("epoch", func.now() - due_since)).filter(
            JobExecution.status == "pending", due_since <= func.now()
        )
        result = await self._session.execute(
            select(JobExecution.job_type, JobExecution.status, func.count(), oldest)
            .where(JobExecution.status.in_(ACTIVE_STATUSES))
            .group_by(JobExecution.job_type, JobExecution.status)
        )
        return [
            (job_type, status, int(jobs), float(age) if age is not None else None)
            for job_type, status, jobs, age in result.all()
        ]

    async def list_unqueued(self, older_than: datetime, limit: int) -> list[JobExecution]:
        """Pending rows whose queue job was never created (the process died in between)."""
        result = await self._session.execute(
            select(JobExecution)
            .where(
                JobExecution.status == "pending",
                JobExecution.queue_job_id.is_(None),
                JobExecution.created_at < older_than,
            )
            .order_by(JobExecution.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def set_queue_job(self, execution_id: uuid.UUID, queue_job_id: int) -> None:
        await self._update(execution_id, queue_job_id=queue_job_id)

    async def mark_running(self, execution_id: uuid.UUID) -> JobExecution | None:
        """Count an attempt; returns None when the row is gone or already finished."""
        result = await self._session.execute(
            update(JobExecution)
            .where(JobExecution.id == execution_id, JobExecution.status.in_(ACTIVE_STATUSES))
            .values(
                status="running",
                attempts=JobExecution.attempts + 1,
                started_at=func.coalesce(JobExecution.started_at, func.now()),
                scheduled_at=None,
                updated_at=func.now(),
            )
            .returning(JobExecution)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def record_progress(
        self, execution_id: uuid.UUID, records: int, details: dict[str, Any]
    ) -> None:
        await self._update(execution_id, records_processed=records, details=details)

    async def mark_completed(
        self, execution_id: uuid.UUID, records: int, details: dict[str, Any]
    ) -> None:
        await self._update(
            execution_id,
            status="completed",
            records_processed=records,
            details=details,
            error_message=None,
            completed_at=func.now(),
        )

    async def mark_retrying(
        self,
        execution_id: uuid.UUID,
        error: str,
        retry_at: datetime,
        details: dict[str, Any],
    ) -> None:
        await self._update(
            execution_id,
            status="pending",
            error_message=error,
            scheduled_at=retry_at,
            details=details,
        )

    async def mark_failed(
        self, execution_id: uuid.UUID, error: str, details: dict[str, Any] | None = None
    ) -> None:
        values: dict[str, Any] = {
            "status": "failed",
            "error_message": error,
            "completed_at": func.now(),
        }
        if details is not None:
            values["details"] = details
        await self._update(execution_id, **values)

    async def requeue_by_queue_job(self, queue_job_ids: list[int], reason: str) -> int:
        """Running rows of the given queue jobs go back to pending (their worker died)."""
        if not queue_job_ids:
            return 0
        result = await self._session.execute(
            update(JobExecution)
            .where(
                JobExecution.queue_job_id.in_(queue_job_ids),
                JobExecution.status.in_(ACTIVE_STATUSES),
            )
            .values(status="pending", error_message=reason, updated_at=func.now())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def fail_lost(self, untouched_since: datetime, reason: str) -> int:
        """Fail active rows whose queue job ended without them (a task the worker did not know,
        a job cancelled in the queue), so their subject can be requested again."""
        result = await self._session.execute(
            update(JobExecution)
            .where(
                JobExecution.status.in_(ACTIVE_STATUSES),
                JobExecution.queue_job_id.is_not(None),
                JobExecution.updated_at < untouched_since,
                ~select(text("1"))
                .select_from(text("procrastinate_jobs AS queued"))
                .where(
                    text("queued.id = job_executions.queue_job_id"),
                    text("queued.status IN ('todo', 'doing')"),
                )
                .exists(),
            )
            .values(
                status="failed",
                error_message=reason,
                completed_at=func.now(),
                updated_at=func.now(),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _update(self, execution_id: uuid.UUID, **values: Any) -> None:
        await self._session.execute(
            update(JobExecution)
            .where(JobExecution.id == execution_id)
            .values(updated_at=func.now(), **values)
        )
