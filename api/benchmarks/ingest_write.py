"""Ingestion write path and end-to-end crawl rate.

1. Dependency upserts for an organization of 1,000 repositories x 50 dependencies built in
   memory (no provider, no parsing): rows per second for the upserts alone, then the rollup
   refresh timed separately; a re-scan of the same data; a re-scan where a tenth changed.
2. `ingest_organization` end to end against the fake upstream served over a local socket by
   uvicorn, with 50 ms of latency on every request, at several concurrencies.

Needs nothing running: embedded PostgreSQL starts in a temporary directory unless DATABASE_URL
is set (then it must point at an empty, disposable database). Run from `api/` with
`uv run python benchmarks/ingest_write.py`; BENCH_CRAWL_REPOSITORIES sets part 2's size.
"""

import asyncio
import os
import random
import shutil
import socket
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import migrate as migrations
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.core.embedded import EmbeddedServers
from app.providers import build_providers
from app.providers.fake_upstream import Scenario, create_fake_upstream
from app.providers.http import create_http_client
from app.repositories.ingestion import IngestionRepository, OrganizationFields
from app.services.ingestion import BATCH_REPOSITORIES, IngestionService, store_scans
from app.services.ingestion_rows import DependencyFacts, ScannedRepository, local_fields
from app.services.package_usage import UsageService

REPOSITORIES = 1_000
DEPENDENCIES = 50
PACKAGES = 5_000
TARGET_ROWS_PER_S = 25_000
CRAWL_REPOSITORIES = int(os.environ.get("BENCH_CRAWL_REPOSITORIES", "300"))
CRAWL_DEPENDENCIES = 20
LATENCY_S = 0.05
CONCURRENCIES = (8, 16, 32)


def synthetic_scans(login: str, seed: int, changed: float = 0.0) -> list[ScannedRepository]:
    """Repositories whose package.json names 50 packages drawn with a popularity skew."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(PACKAGES)]
    scans = []
    for index in range(REPOSITORIES):
        names = set()
        while len(names) < DEPENDENCIES:
            names.update(rng.choices(range(PACKAGES), weights, k=DEPENDENCIES - len(names)))
        facts = [
            DependencyFacts(
                "npm",
                f"bench-pkg-{name}",
                "package.json",
                f"^{1 + (rng.random() < changed)}.0.0",
                None,
                "runtime" if name % 5 else "development",
                True,
            )
            for name in sorted(names)
        ]
        scan = ScannedRepository(local_fields(login, f"repo-{index}"), "replace", "github")
        scan.dependencies = facts
        scan.commit_sha = f"{index:040x}"
        scans.append(scan)
    return scans


async def write(
    factory: async_sessionmaker[AsyncSession], scans: Sequence[ScannedRepository]
) -> tuple[float, float, int]:
    """Seconds spent in the upserts, seconds in the rollup refresh, rows written."""
    upserts = refresh = 0.0
    rows = 0
    for start in range(0, len(scans), BATCH_REPOSITORIES):
        batch = scans[start : start + BATCH_REPOSITORIES]
        async with factory() as session, session.begin():
            began = time.perf_counter()
            stored = await store_scans(session, batch, datetime.now(UTC))
            upserted = time.perf_counter()
            await UsageService(session).refresh_repositories(stored.repository_ids)
            refresh += time.perf_counter() - upserted
            upserts += upserted - began
            rows += stored.rows_written
    return upserts, refresh, rows


async def write_path(factory: async_sessionmaker[AsyncSession]) -> None:
    login = "bench-write"
    async with factory() as session, session.begin():
        await IngestionRepository(session).upsert_organization(
            OrganizationFields(login=login, owner_type="organization")
        )
    total = REPOSITORIES * DEPENDENCIES
    print(f"1. write path: {REPOSITORIES} repositories x {DEPENDENCIES} dependencies")
    print(f"   ({total:,} rows over {PACKAGES:,} packages, {BATCH_REPOSITORIES} repos/transaction)")
    for label, scans in (
        ("first ingest", synthetic_scans(login, 1)),
        ("re-scan, unchanged", synthetic_scans(login, 1)),
        ("re-scan, 10% changed", synthetic_scans(login, 1, changed=0.1)),
    ):
        upserts, refresh, rows = await write(factory, scans)
        rate = total / upserts
        verdict = "meets" if rate >= TARGET_ROWS_PER_S else "MISSES"
        print(
            f"   {label:<22} upserts {upserts:6.2f} s = {rate:9,.0f} rows/s"
            f" ({rows:,} written; {verdict} {TARGET_ROWS_PER_S:,})"
            f" | rollup refresh {refresh:6.2f} s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def crawl_scenario() -> Scenario:
    rng = random.Random(7)
    repositories = []
    for index in range(CRAWL_REPOSITORIES):
        names = rng.sample(range(2_000), CRAWL_DEPENDENCIES)
        body = ", ".join(f'"crawl-pkg-{n}": "^1.0.0"' for n in names)
        files = {"package.json": '{"dependencies": {' + body + "}}", "README.md": "# repo\n"}
        repositories.append({"name": f"svc-{index}", "stars": index, "files": files})
    return Scenario.model_validate(
        {
            "organizations": [{"login": "bench-crawl", "repositories": repositories}],
            "latency": LATENCY_S,
            "rate_limit": 1_000_000,
        }
    )


async def crawl(factory: async_sessionmaker[AsyncSession]) -> None:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_fake_upstream(crawl_scenario()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn offers no start event: poll its flag
        if server.started:
            break
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        _env_file=None,
        github_api_url=f"{base}/github",
        github_graphql_url=f"{base}/github/graphql",
        ecosystems_api_url=f"{base}/ecosystems/api/v1",
    )
    print(
        f"2. end to end: ingest_organization of {CRAWL_REPOSITORIES} repositories"
        f" ({CRAWL_DEPENDENCIES} dependencies each), fake upstream over HTTP,"
        f" {LATENCY_S * 1000:.0f} ms per request"
    )
    try:
        for concurrency in CONCURRENCIES:
            async with factory() as session, session.begin():
                await session.execute(text("DELETE FROM organizations WHERE login = 'bench-crawl'"))
            http = create_http_client(settings)
            try:
                service = IngestionService(
                    factory, build_providers(settings, http, None), None, concurrency=concurrency
                )
                began = time.perf_counter()
                report = await service.ingest_organization("bench-crawl")
                seconds = time.perf_counter() - began
            finally:
                await http.aclose()
            assert not report.failures, report.failures[:3]
            print(
                f"   concurrency {concurrency:>3}: {seconds:6.2f} s,"
                f" {report.repositories / seconds * 60:8,.0f} repositories/min,"
                f" {report.records_processed:,} rows"
            )
    finally:
        server.should_exit = True
        await serving


async def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="wump-bench-"))
    database_url = os.environ.get("DATABASE_URL") or None
    embedded = EmbeddedServers(data_dir, database=database_url is None, cache=False)
    try:
        urls = await embedded.start()
        settings = Settings(_env_file=None, database_url=database_url or urls.database_url)
        assert settings.database_url is not None
        await asyncio.to_thread(migrations.upgrade, settings.database_url)
        engine = create_engine(settings)
        factory = create_session_factory(engine)
        try:
            await write_path(factory)
            await crawl(factory)
        finally:
            await engine.dispose()
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
