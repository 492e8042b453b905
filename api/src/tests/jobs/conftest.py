"""Job test support. Jobs commit (the queue has connections of its own), so each test gets a
database of its own, cloned from one migrated template."""

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import procrastinate
import pytest
from procrastinate.jobs import DeleteJobCondition
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette

from app.core.config import Settings
from app.core.queue import create_queue
from app.jobs.runtime import JobRuntime, open_runtime
from app.jobs.tasks import RUNTIME_KEY, register
from app.providers.fake_upstream import Scenario, create_fake_upstream
from app.providers.fake_upstream.state import FakeState
from app.schemas.job import JobRead
from tests.clients import app_client
from tests.conftest import TestServers, with_database, worker_number
from tests.providers.conftest import provider_settings
from tests.services.webhooks.conftest import receiver

_numbers = itertools.count()


def database_url(base_url: str, name: str) -> str:
    return with_database(base_url, name)


def job_settings_for(settings: Settings, database: str, **overrides: Any) -> Settings:
    """The test settings on another database, providers pointed at the in-process fake."""
    fake = provider_settings()
    return settings.model_copy(
        update={
            "database_url": database,
            "github_api_url": fake.github_api_url,
            "github_graphql_url": fake.github_graphql_url,
            "ecosystems_api_url": fake.ecosystems_api_url,
            "ecosystems_packages_api_url": fake.ecosystems_packages_api_url,
            "github_token": fake.github_token,
            "http_max_retries": fake.http_max_retries,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def jobs_template(servers: TestServers) -> str:
    return servers.template_database


@pytest.fixture
async def jobs_database(settings: Settings, jobs_template: str) -> AsyncIterator[str]:
    """The URL of a fresh, migrated database for this test only."""
    assert settings.database_url is not None
    name = f"wump_jobs_{worker_number()}_{next(_numbers)}"
    admin = create_async_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {jobs_template}"))
    yield database_url(settings.database_url, name)
    async with admin.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    await admin.dispose()


@pytest.fixture
async def jobs_engine(jobs_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(jobs_database)
    yield engine
    await engine.dispose()


@dataclass
class JobHarness:
    settings: Settings
    runtime: JobRuntime
    queue: procrastinate.App
    upstream: Starlette
    engine: AsyncEngine

    @property
    def fake(self) -> FakeState:
        state: FakeState = self.upstream.state.fake
        return state

    async def run_jobs(self) -> None:
        """Run every job that is due, including those queued or retried meanwhile, then return."""
        while await self.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'"
            " AND (scheduled_at IS NULL OR scheduled_at <= now())"
        ):
            await self.queue.run_worker_async(
                wait=False,
                concurrency=4,
                additional_context={RUNTIME_KEY: self.runtime},
                delete_jobs=DeleteJobCondition.SUCCESSFUL,
                install_signal_handlers=False,
                listen_notify=False,
            )

    async def execution(self, job: JobRead) -> JobRead:
        return await self.runtime.jobs.get(job.id)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def api(self) -> AsyncIterator[httpx.AsyncClient]:
        async with app_client(self.settings, raise_app_exceptions=True) as (_, client):
            yield client


HarnessFactory = Callable[..., Awaitable[JobHarness]]


@pytest.fixture
async def harness(
    settings: Settings, jobs_database: str, jobs_engine: AsyncEngine, cache: Redis
) -> AsyncIterator[HarnessFactory]:
    """Builds the job runtime on a fresh database, its providers talking to a fake upstream."""
    opened: list[Any] = []

    async def build(scenario: dict[str, Any] | Scenario, **overrides: Any) -> JobHarness:
        job_settings = job_settings_for(
            settings, jobs_database, http_backoff_base=0.0, job_retry_backoff_base=0.0, **overrides
        )
        upstream = create_fake_upstream(
            scenario if isinstance(scenario, Scenario) else Scenario.model_validate(scenario)
        )
        queue = create_queue(job_settings, max_connections=8)
        await queue.open_async()
        opened.append(queue)
        register(queue, job_settings.job_stalled_after)
        runtime_context = open_runtime(
            job_settings, queue, transport=httpx.ASGITransport(app=upstream)
        )
        runtime = await runtime_context.__aenter__()
        opened.append(runtime_context)
        return JobHarness(job_settings, runtime, queue, upstream, jobs_engine)

    yield build
    for resource in reversed(opened):
        if isinstance(resource, procrastinate.App):
            await resource.close_async()
        else:
            await resource.__aexit__(None, None, None)


__all__ = ["receiver"]
