"""The job queue: procrastinate's tables in wump's own database, reached through psycopg."""

import asyncio
import datetime
import math
from collections.abc import Awaitable, Callable

import procrastinate
from procrastinate.exceptions import ConnectorException
from procrastinate.jobs import Job, Status
from procrastinate.manager import JobManager
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import UNCONFIGURED_URL, resolve_database_url
from app.core.logging import get_logger

log = get_logger(__name__)

# Seconds between two tries of a job's status write while the database is away, at most.
PERSIST_RETRY_MAX_S = 30.0

_LIBPQ_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def to_libpq_url(database_url: str) -> str:
    """The same database as a libpq URL: no driver suffix, asyncpg's `ssl` as `sslmode`."""
    url = make_url(database_url)
    query = dict(url.query)
    ssl = query.pop("ssl", None)
    if isinstance(ssl, str) and "sslmode" not in query:
        query["sslmode"] = ssl if ssl in _LIBPQ_SSL_MODES else "require"
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


class PersistentJobManager(JobManager):
    """Writes a finished or retried job's status until the database takes it.

    The worker writes the outcome once; if the database is restarting at that moment, the job
    would stay "doing" under a worker that is alive and no longer runs it, where neither a
    retry nor the dead-worker sweep would ever find it.
    """

    async def finish_job(self, job: Job, status: Status, delete_job: bool) -> None:
        await self._until_written(
            job, lambda: super(PersistentJobManager, self).finish_job(job, status, delete_job)
        )

    async def retry_job(
        self,
        job: Job,
        retry_at: datetime.datetime | None = None,
        priority: int | None = None,
        queue: str | None = None,
        lock: str | None = None,
    ) -> None:
        await self._until_written(
            job,
            lambda: super(PersistentJobManager, self).retry_job(
                job, retry_at=retry_at, priority=priority, queue=queue, lock=lock
            ),
        )

    async def _until_written(self, job: Job, write: Callable[[], Awaitable[None]]) -> None:
        delay = 0.5
        while True:
            try:
                await write()
                return
            except ConnectorException as error:
                log.warning("queue.status_write_failed", queue_job_id=job.id, error=repr(error))
                await asyncio.sleep(delay)
                delay = min(delay * 2, PERSIST_RETRY_MAX_S)


def create_queue(settings: Settings, *, max_connections: int) -> procrastinate.App:
    """A procrastinate App on a lazy pool: opening it connects to nothing, so a database that is
    down at start-up fails the first deferral, not the process."""
    connector = procrastinate.PsycopgConnector(
        conninfo=to_libpq_url(resolve_database_url(settings) or UNCONFIGURED_URL),
        min_size=0,
        max_size=max_connections,
        timeout=settings.health_check_timeout,
        kwargs={"connect_timeout": max(1, math.ceil(settings.health_check_timeout))},
    )
    # Workers register the tasks (app.jobs.tasks.register); the API defers them by name only.
    app = procrastinate.App(connector=connector)
    app.job_manager = PersistentJobManager(connector=connector)
    return app
