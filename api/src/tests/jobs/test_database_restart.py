"""A job whose database restarts under it runs again and completes, with no duplicate rows."""

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.embedded import EmbeddedPostgres
from app.core.queue import create_queue
from app.jobs.runtime import open_runtime
from app.jobs.worker import run_worker
from app.providers.fake_upstream import Scenario, create_fake_upstream
from app.schemas.job import JobRead
from app.services.jobs import JobService, organization_job
from tests.jobs.conftest import job_settings_for
from tests.migrated_template import copy_migrated_postgres

REPOSITORIES = 60


@pytest.fixture
async def own_database() -> AsyncIterator[tuple[EmbeddedPostgres, str]]:
    """A PostgreSQL of this test's own, since the test restarts it. Its directory lies outside
    pytest's temporary root, which pytest may make private again while another worker runs
    (the server runs as a user of its own and must reach its directory)."""
    directory = Path(tempfile.mkdtemp(prefix="wump-restart-"))
    await asyncio.to_thread(copy_migrated_postgres, directory)
    embedded = EmbeddedPostgres(directory)
    url = await asyncio.to_thread(embedded.start)
    try:
        yield embedded, url
    finally:
        await asyncio.to_thread(embedded.stop)
        shutil.rmtree(directory, ignore_errors=True)


async def _poll(jobs: JobService, job: JobRead, status: str, deadline_s: float) -> JobRead:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            current = await jobs.get(job.id)
            if current.status == status:
                return current
        except Exception:  # the database is restarting
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"job {job.id} did not become {status} within {deadline_s} s")


async def test_a_database_restart_during_a_job_retries_it(
    settings: Settings, own_database: tuple[EmbeddedPostgres, str]
) -> None:
    embedded, url = own_database
    job_settings = job_settings_for(
        settings,
        url,
        ingest_concurrency=2,
        job_max_attempts=10,
        job_retry_backoff_base=0.2,
        job_stalled_after=4.0,
    )
    scenario = Scenario.model_validate(
        {
            "latency": 0.04,
            "organizations": [
                {
                    "login": "big-org",
                    "repositories": [
                        {"name": f"r{n}", "files": {"Gemfile": 'gem "rails"\n'}}
                        for n in range(REPOSITORIES)
                    ],
                }
            ],
        }
    )
    transport = httpx.ASGITransport(app=create_fake_upstream(scenario))
    queue = create_queue(job_settings, max_connections=8)
    async with (
        queue.open_async(),
        open_runtime(job_settings, queue, transport=transport) as runtime,
    ):
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(runtime, stop))
        try:
            job, _created = await runtime.jobs.enqueue(organization_job("big-org"))
            await _poll(runtime.jobs, job, "running", 30)

            await asyncio.to_thread(embedded.stop)
            await asyncio.sleep(3)
            assert await asyncio.to_thread(embedded.start) == url

            done = await _poll(runtime.jobs, job, "completed", 120)
        finally:
            stop.set()
            await worker

    assert done.attempts >= 2
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT count(*), count(DISTINCT repository_id) FROM dependencies")
            )
        ).one()
    await engine.dispose()
    assert tuple(rows) == (REPOSITORIES, REPOSITORIES)
