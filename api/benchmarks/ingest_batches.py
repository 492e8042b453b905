"""What the ingestion benchmarks share: a disposable database, and the crawl's write loop (the
dependency writes of each batch timed apart from its read-side refresh)."""

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import migrate as migrations
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.core.embedded import EmbeddedServers
from app.services.ingestion.crawl import BATCH_REPOSITORIES, BATCH_ROWS
from app.services.ingestion.rows import ScannedRepository
from app.services.ingestion.writes import store_scans
from app.services.usage_refresh import UsageRefreshService


@dataclass
class Timed:
    """Seconds in the writes of `store_scans` and in the refresh, rows written, and the CPU
    seconds both sides spent on the writes (this process and the PostgreSQL backend, read
    from /proc): other work on the machine stretches the seconds, hardly the CPU time."""

    writes: float = 0.0
    refresh: float = 0.0
    rows: int = 0
    writes_cpu: float = 0.0
    refresh_cpu: float = 0.0

    def cpu_rate(self) -> str:
        if not self.writes_cpu:
            return "CPU time unknown"
        return (
            f"{self.rows / self.writes_cpu:,.0f} rows per CPU second"
            f" (refresh {self.rows / self.refresh_cpu:,.0f})"
        )


def _on_this_machine(backend: int | None) -> bool:
    return backend is not None and Path(f"/proc/{backend}").exists()


def _cpu_seconds(backend: int | None) -> float:
    """This process's CPU time plus the backend's, when it runs on this machine."""
    spent = time.process_time()
    try:
        fields = Path(f"/proc/{backend}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return spent
    # utime and stime, the 14th and 15th fields of the whole line.
    return spent + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batches(scans: Sequence[ScannedRepository]) -> list[list[ScannedRepository]]:
    """The crawl's write batches: at most BATCH_ROWS rows or BATCH_REPOSITORIES repositories."""
    found: list[list[ScannedRepository]] = [[]]
    rows = 0
    for scan in scans:
        size = len(scan.dependencies)
        if found[-1] and (rows + size > BATCH_ROWS or len(found[-1]) >= BATCH_REPOSITORIES):
            found.append([])
            rows = 0
        found[-1].append(scan)
        rows += size
    return found


async def write(
    factory: async_sessionmaker[AsyncSession],
    scans: Sequence[ScannedRepository],
    record_events: bool = True,
) -> Timed:
    """Store the scans as a crawl's writer does, one transaction per batch."""
    timed = Timed()
    backend: int | None = None
    for batch in batches(scans):
        async with factory() as session, session.begin():
            backend = await session.scalar(text("SELECT pg_backend_pid()"))
            began, began_cpu = time.perf_counter(), _cpu_seconds(backend)
            stored = await store_scans(session, batch, datetime.now(UTC))
            written, written_cpu = time.perf_counter(), _cpu_seconds(backend)
            await UsageRefreshService(session).refresh_repositories(
                stored.repository_ids, record_events=record_events
            )
            timed.refresh += time.perf_counter() - written
            timed.refresh_cpu += _cpu_seconds(backend) - written_cpu
            timed.writes += written - began
            timed.writes_cpu += written_cpu - began_cpu
            timed.rows += stored.rows_written
    if not _on_this_machine(backend):
        timed.writes_cpu = timed.refresh_cpu = 0.0
    return timed


async def bytes_per_dependency(factory: async_sessionmaker[AsyncSession]) -> tuple[int, float]:
    """Dependency rows, and the bytes of the dependencies table (heap, TOAST and indexes) per
    row."""
    async with factory() as session:
        row = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM dependencies),"
                    " pg_total_relation_size('dependencies')"
                )
            )
        ).one()
    return row[0], row[1] / max(row[0], 1)


def load_average() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


@asynccontextmanager
async def database() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated, disposable database: embedded PostgreSQL in a temporary folder,
    or DATABASE_URL (which must then name an empty, disposable database). Ingestion runs in
    jobs, so under the jobs' statement timeout."""
    data_dir = Path(tempfile.mkdtemp(prefix="wump-bench-"))
    database_url = os.environ.get("DATABASE_URL") or None
    embedded = EmbeddedServers(data_dir, database=database_url is None, cache=False)
    try:
        urls = await embedded.start()
        settings = Settings(_env_file=None, database_url=database_url or urls.database_url)
        assert settings.database_url is not None
        await asyncio.to_thread(migrations.upgrade, settings.database_url)
        engine = create_engine(settings, statement_timeout=settings.job_statement_timeout)
        try:
            yield create_session_factory(engine)
        finally:
            await engine.dispose()
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
