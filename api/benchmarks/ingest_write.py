"""Ingestion write path and end-to-end crawl rate.

1. Dependency upserts for an organization of 1,000 repositories x 50 dependencies built in
   memory (no provider, no parsing): rows per second for the upserts alone, then the rollup
   refresh timed separately; a re-scan of the same data; a re-scan where a tenth changed.
2. The same organization served by the fake upstream (`wump dev fake-upstream` in its own process,
   without latency) and crawled by `ingest_organization`: rows per second of the writer's upserts
   inside a real crawl, and the crawl's wall time.
3. `ingest_organization` end to end against the fake upstream with 50 ms of latency on every
   request, at several concurrencies.

Needs nothing running: embedded PostgreSQL starts in a temporary directory unless DATABASE_URL
is set (then it must point at an empty, disposable database). Run from `api/` with
`uv run python benchmarks/ingest_write.py`; BENCH_CRAWL_REPOSITORIES sets part 3's size,
BENCH_PARTS which parts run (default 123), BENCH_EVENT_ROUNDS the rounds of part 1's
events-off-versus-on comparison.
"""

import asyncio
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from ingest_batches import database, write
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import app.services.ingestion.writes as ingestion_module
from app.core.config import Settings
from app.providers import build_providers
from app.providers.fake_upstream import Scenario
from app.providers.http import create_http_client
from app.repositories.ingestion import IngestionRepository, OrganizationFields
from app.repositories.usage_event import UsageEventRepository
from app.services.ingestion import IngestionService, IngestReport
from app.services.ingestion.crawl import BATCH_REPOSITORIES
from app.services.ingestion.rows import DependencyFacts, ScannedRepository, local_fields
from app.services.ingestion.writes import StoredScans

REPOSITORIES = 1_000
DEPENDENCIES = 50
PACKAGES = 5_000
TARGET_ROWS_PER_S = 25_000
EVENT_ROUNDS = int(os.environ.get("BENCH_EVENT_ROUNDS", "3"))
# Which parts run (1, 2, 3); all by default.
PARTS = os.environ.get("BENCH_PARTS", "123")
CRAWL_REPOSITORIES = int(os.environ.get("BENCH_CRAWL_REPOSITORIES", "300"))
CRAWL_DEPENDENCIES = 20
LATENCY_S = 0.05
CONCURRENCIES = (8, 16, 32)
DEFAULT_CONCURRENCY = Settings.model_fields["ingest_concurrency"].default


def skewed_package_sets(seed: int) -> list[list[int]]:
    """For each repository, 50 package numbers drawn with a popularity skew."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(PACKAGES)]
    sets = []
    for _ in range(REPOSITORIES):
        names: set[int] = set()
        while len(names) < DEPENDENCIES:
            names.update(rng.choices(range(PACKAGES), weights, k=DEPENDENCIES - len(names)))
        sets.append(sorted(names))
    return sets


def synthetic_scans(
    login: str, seed: int, changed: float = 0.0, swapped: float = 0.0
) -> list[ScannedRepository]:
    """Repositories whose package.json names 50 packages drawn with a popularity skew; a
    `changed` share of the rows declares another version, and a `swapped` share of the
    repositories drops its last package for one of its own (usage events follow)."""
    rng = random.Random(seed + 1)
    swaps = random.Random(seed + 2)
    scans = []
    for index, names in enumerate(skewed_package_sets(seed)):
        if swaps.random() < swapped:
            names = [*names[:-1], PACKAGES + index]
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
            for name in names
        ]
        scan = ScannedRepository(local_fields(login, f"repo-{index}"), "replace", "github")
        scan.dependencies = facts
        scan.commit_sha = f"{index:040x}"
        scans.append(scan)
    return scans


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
        timed = await write(factory, scans)
        upserts, refresh, rows = timed.writes, timed.refresh, timed.rows
        rate = total / upserts
        verdict = "meets" if rate >= TARGET_ROWS_PER_S else "MISSES"
        print(
            f"   {label:<22} upserts {upserts:6.2f} s = {rate:9,.0f} rows/s"
            f" ({rows:,} written; {verdict} {TARGET_ROWS_PER_S:,})"
            f" | rollup refresh {refresh:6.2f} s"
        )
        if label == "first ingest":
            # Re-scans follow a completed crawl: their usage changes are news (not initial).
            async with factory() as session, session.begin():
                await session.execute(
                    text("UPDATE organizations SET crawled_at = now() WHERE login = :login"),
                    {"login": login},
                )
    await events_cost(factory, login)


async def events_cost(factory: async_sessionmaker[AsyncSession], login: str) -> None:
    """The same re-scan (a tenth of the rows with a new version, a tenth of the repositories
    swapping a package) with usage events off and on, alternating from the same starting
    rows; medians of the write transactions' time."""
    base = synthetic_scans(login, 1)
    changed = synthetic_scans(login, 1, changed=0.1, swapped=0.1)
    timings: dict[bool, list[float]] = {False: [], True: []}
    spent = [0.0]
    original = UsageEventRepository.insert_events

    async def timed(self: UsageEventRepository, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await original(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began

    # The events' own statements, timed apart from the machine's noise around them.
    UsageEventRepository.insert_events = timed  # type: ignore[method-assign]
    async with factory() as session:
        before = await session.scalar(text("SELECT count(*) FROM usage_events"))
    for round_number in range(EVENT_ROUNDS):
        # Alternating which goes first keeps the table's growth from favouring either.
        for record_events in (False, True) if round_number % 2 == 0 else (True, False):
            await write(factory, base, record_events=False)
            timed = await write(factory, changed, record_events=record_events)
            timings[record_events].append(timed.writes + timed.refresh)
    UsageEventRepository.insert_events = original  # type: ignore[method-assign]
    async with factory() as session:
        after = await session.scalar(text("SELECT count(*) FROM usage_events"))
    off, on = statistics.median(timings[False]), statistics.median(timings[True])
    # Each round's pair ran back to back, so its ratio is less exposed to the machine's load.
    ratio = statistics.median(b / a for a, b in zip(timings[False], timings[True], strict=True))
    verdict = "within" if ratio <= 1.15 else "OVER"
    print(
        f"   usage events, re-scan with 10% changes ({EVENT_ROUNDS} rounds):"
        f" off {off:5.2f} s, on {on:5.2f} s (medians); median per-round cost"
        f" {(ratio - 1) * 100:+.1f}% ({verdict} the 15% budget;"
        f" {(after or 0) - (before or 0)} events written)"
    )
    print(
        f"   writing the events themselves: {spent[0] / EVENT_ROUNDS * 1000:6.0f} ms per re-scan"
        f" = {spent[0] / EVENT_ROUNDS / off * 100:.1f}% of it"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def crawl_scenario(login: str, latency: float) -> Scenario:
    rng = random.Random(7)
    repositories = []
    for index in range(CRAWL_REPOSITORIES):
        names = rng.sample(range(2_000), CRAWL_DEPENDENCIES)
        body = ", ".join(f'"crawl-pkg-{n}": "^1.0.0"' for n in names)
        files = {"package.json": '{"dependencies": {' + body + "}}", "README.md": "# repo\n"}
        repositories.append({"name": f"svc-{index}", "stars": index, "files": files})
    return scenario(login, repositories, latency)


def served_write_scenario(login: str) -> Scenario:
    """The write path's organization as repositories with a package.json each."""
    repositories = []
    for index, names in enumerate(skewed_package_sets(1)):
        runtime = ", ".join(f'"bench-pkg-{n}": "^1.0.0"' for n in names if n % 5)
        development = ", ".join(f'"bench-pkg-{n}": "^1.0.0"' for n in names if not n % 5)
        manifest = f'{{"dependencies": {{{runtime}}}, "devDependencies": {{{development}}}}}'
        files = {"package.json": manifest, "README.md": "# repo\n"}
        repositories.append({"name": f"repo-{index}", "stars": index, "files": files})
    return scenario(login, repositories, 0.0)


def scenario(login: str, repositories: list[dict[str, object]], latency: float) -> Scenario:
    return Scenario.model_validate(
        {
            "organizations": [{"login": login, "repositories": repositories}],
            "latency": latency,
            "rate_limit": 1_000_000,
        }
    )


@asynccontextmanager
async def upstream(served: Scenario) -> AsyncIterator[Settings]:
    """Serve the scenario from `wump dev fake-upstream` in a process of its own (the upstream
    never shares the crawler's event loop); yields settings pointing at it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="wump-bench-upstream-") as folder:
        scenario_file = Path(folder) / "scenario.json"
        scenario_file.write_text(served.model_dump_json())
        command = ["dev", "fake-upstream", "--port", str(port), "--scenario", str(scenario_file)]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", *command, stdout=asyncio.subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(300):  # the server offers no start event: poll it
                    try:
                        await client.get(f"{base}/github/rate_limit")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
            yield Settings(
                _env_file=None,
                github_api_url=f"{base}/github",
                github_graphql_url=f"{base}/github/graphql",
                ecosystems_api_url=f"{base}/ecosystems/api/v1",
            )
        finally:
            process.terminate()
            await process.wait()


async def ingest(
    factory: async_sessionmaker[AsyncSession], settings: Settings, login: str, concurrency: int
) -> tuple[float, IngestReport]:
    """A fresh `ingest_organization` of `login`: wall seconds and its report."""
    async with factory() as session, session.begin():
        await session.execute(
            text("DELETE FROM organizations WHERE login = :login"), {"login": login}
        )
    http = create_http_client(settings)
    try:
        service = IngestionService(
            factory, build_providers(settings, http, None), None, concurrency=concurrency
        )
        began = time.perf_counter()
        report = await service.ingest_organization(login)
        seconds = time.perf_counter() - began
    finally:
        await http.aclose()
    assert not report.failures, report.failures[:3]
    return seconds, report


async def served_write_path(factory: async_sessionmaker[AsyncSession]) -> None:
    """Part 2: the writer's upserts timed inside a crawl of the fake upstream."""
    login = "bench-served"
    upserts = 0.0
    original = ingestion_module.store_scans

    async def timed_store_scans(
        session: AsyncSession, scans: Sequence[ScannedRepository], now: datetime
    ) -> StoredScans:
        nonlocal upserts
        began = time.perf_counter()
        try:
            return await original(session, scans, now)
        finally:
            upserts += time.perf_counter() - began

    print(
        f"2. crawl of the same organization served by the fake upstream (no latency,"
        f" concurrency {DEFAULT_CONCURRENCY})"
    )
    ingestion_module.store_scans = timed_store_scans
    try:
        async with upstream(served_write_scenario(login)) as settings:
            seconds, report = await ingest(factory, settings, login, DEFAULT_CONCURRENCY)
    finally:
        ingestion_module.store_scans = original
    rate = report.records_processed / upserts
    verdict = "meets" if rate >= TARGET_ROWS_PER_S else "MISSES"
    print(
        f"   {report.repositories:,} repositories, {report.records_processed:,} rows;"
        f" upserts {upserts:6.2f} s = {rate:9,.0f} rows/s ({verdict} {TARGET_ROWS_PER_S:,});"
        f" crawl {seconds:6.2f} s = {report.repositories / seconds * 60:8,.0f} repositories/min"
    )


async def crawl(factory: async_sessionmaker[AsyncSession]) -> None:
    login = "bench-crawl"
    print(
        f"3. end to end: ingest_organization of {CRAWL_REPOSITORIES} repositories"
        f" ({CRAWL_DEPENDENCIES} dependencies each), fake upstream over HTTP,"
        f" {LATENCY_S * 1000:.0f} ms per request"
    )
    async with upstream(crawl_scenario(login, LATENCY_S)) as settings:
        for concurrency in CONCURRENCIES:
            seconds, report = await ingest(factory, settings, login, concurrency)
            print(
                f"   concurrency {concurrency:>3}: {seconds:6.2f} s,"
                f" {report.repositories / seconds * 60:8,.0f} repositories/min,"
                f" {report.records_processed:,} rows"
            )


async def main() -> None:
    async with database() as factory:
        if "1" in PARTS:
            await write_path(factory)
        if "2" in PARTS:
            await served_write_path(factory)
        if "3" in PARTS:
            await crawl(factory)


if __name__ == "__main__":
    asyncio.run(main())
