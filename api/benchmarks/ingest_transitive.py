"""Ingestion with transitive attribution: an organization whose repositories carry large
package-lock.json files (about 5 MB each, a random graph of some 20,000 packages).

1. Parse: each distinct lockfile parsed with its via walk (MB/s, rows/s, the share of rows that
   arrive transitively and name a via).
2. Write: the parsed rows of every repository stored the way a crawl stores them (batches of at
   most BATCH_ROWS rows or BATCH_REPOSITORIES repositories), once without via (the write path
   before via was stored) and once with it, each into an organization of its own: rows per
   second of the dependency writes, and the rollup refresh timed apart.
3. End to end: rows per second over parse plus write with via, as one ingest of the
   organization would spend them (each repository parses its own lockfile).

Needs nothing running: embedded PostgreSQL starts in a temporary directory unless DATABASE_URL
is set (then it must point at an empty, disposable database). Run from `api/` with
`uv run python benchmarks/ingest_transitive.py [--repos 1000] [--lock-mb 5] [--variants 4]`;
a small `--repos` keeps it short.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import string
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import migrate as migrations
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.core.embedded import EmbeddedServers
from app.manifests import parse
from app.services.ingestion.crawl import BATCH_REPOSITORIES, BATCH_ROWS
from app.services.ingestion.rows import (
    DependencyFacts,
    ScannedRepository,
    facts_from_manifest,
    local_fields,
)
from app.services.ingestion.writes import store_scans
from app.services.usage_refresh import UsageRefreshService

TARGET_ROWS_PER_S = 25_000
DIRECT = 40
# Bytes one generated lockfile entry takes, about; sizes the graph for the wanted file size.
ENTRY_BYTES = 250


def lockfile(seed: int, megabytes: float) -> bytes:
    """A package-lock.json (v3) of a random graph: the root needs DIRECT packages (a quarter of
    them for development), every other package is needed by at least one package listed before
    it, and a few more edges make diamonds."""
    rng = random.Random(seed)
    count = int(megabytes * 1_000_000 / ENTRY_BYTES)
    pool = rng.sample(range(count * 2), count)
    names = [f"bench-lock-{number}" for number in pool]
    children: list[list[int]] = [[] for _ in range(count)]
    for child in range(DIRECT, count):
        children[rng.randrange(0, child)].append(child)
        if rng.random() < 0.5:
            children[rng.randrange(0, child)].append(child)
    alphabet = string.ascii_letters + string.digits
    root = {
        "name": "proj",
        "dependencies": {names[i]: "^1.0.0" for i in range(DIRECT) if i % 4},
        "devDependencies": {names[i]: "^1.0.0" for i in range(DIRECT) if not i % 4},
    }
    packages: dict[str, object] = {"": root}
    for index, name in enumerate(names):
        entry: dict[str, object] = {
            "version": f"1.{index % 50}.{index % 7}",
            "integrity": "sha512-" + "".join(rng.choices(alphabet, k=86)) + "==",
            "dependencies": {names[c]: "^1.0.0" for c in children[index]},
        }
        if index % 4 == 0 and index < DIRECT:
            entry["dev"] = True
        packages[f"node_modules/{name}"] = entry
    return json.dumps({"name": "proj", "lockfileVersion": 3, "packages": packages}).encode()


def scans_for(
    login: str, facts: Sequence[list[DependencyFacts]], repositories: int, with_via: bool
) -> list[ScannedRepository]:
    scans = []
    for index in range(repositories):
        rows = facts[index % len(facts)]
        if not with_via:
            rows = [replace(row, via=None) for row in rows]
        scan = ScannedRepository(local_fields(login, f"repo-{index}"), "replace", "local", rows)
        scan.commit_sha = f"{index:040x}"
        scans.append(scan)
    return scans


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
    factory: async_sessionmaker[AsyncSession], scans: Sequence[ScannedRepository]
) -> tuple[float, float, int]:
    """Seconds in the dependency writes, seconds in the rollup refresh, rows written."""
    writes = refresh = 0.0
    rows = 0
    for batch in batches(scans):
        async with factory() as session, session.begin():
            began = time.perf_counter()
            stored = await store_scans(session, batch, datetime.now(UTC))
            written = time.perf_counter()
            await UsageRefreshService(session).refresh_repositories(
                stored.repository_ids, record_events=False
            )
            refresh += time.perf_counter() - written
            writes += written - began
            rows += stored.rows_written
    return writes, refresh, rows


async def run(args: argparse.Namespace, factory: async_sessionmaker[AsyncSession]) -> None:
    print(
        f"{args.repos} repositories, {args.variants} distinct package-lock.json files of"
        f" about {args.lock_mb} MB"
    )
    files = [lockfile(seed, args.lock_mb) for seed in range(args.variants)]
    facts: list[list[DependencyFacts]] = []
    parse_seconds: list[float] = []
    for data in files:
        began = time.perf_counter()
        result = parse(data, "package-lock.json", max_bytes=len(data) + 1)
        rows = facts_from_manifest(result.dependencies)
        parse_seconds.append(time.perf_counter() - began)
        facts.append(rows)
    megabytes = sum(len(data) for data in files) / 1e6
    parsed = sum(len(rows) for rows in facts)
    with_via = sum(1 for rows in facts for row in rows if row.via)
    print(
        f"1. parse + via walk: {megabytes / sum(parse_seconds):.1f} MB/s,"
        f" {parsed / sum(parse_seconds):,.0f} rows/s, {parsed // len(files):,} rows per file,"
        f" {with_via / parsed:.0%} transitive with via"
    )
    # Every package exists before the timed writes, so both pay the same for the packages.
    await write(factory, scans_for("bench-warm", facts, len(facts), with_via=True))
    print("2. dependency writes (rows/s; rollup refresh apart):")
    results = {}
    for label, login, keep_via in (
        ("without via (before)", "bench-before", False),
        ("with via (after)", "bench-after", True),
    ):
        writes, refresh, rows = await write(factory, scans_for(login, facts, args.repos, keep_via))
        rate = rows / writes
        results[label] = (writes, rows)
        met = "met" if rate >= TARGET_ROWS_PER_S else "NOT met"
        print(
            f"   {label:22} {rows:>10,} rows  {rate:>9,.0f} rows/s  refresh {refresh:6.1f} s"
            f"  (target {TARGET_ROWS_PER_S:,}: {met})"
        )
    writes, rows = results["with via (after)"]
    parsing = sum(parse_seconds[i % len(files)] for i in range(args.repos))
    print(
        f"3. end to end, parse + write with via: {rows / (parsing + writes):,.0f} rows/s"
        f" ({parsing:.1f} s parsing, {writes:.1f} s writing)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repos", type=int, default=1_000)
    parser.add_argument("--lock-mb", type=float, default=5.0)
    parser.add_argument("--variants", type=int, default=4)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="wump-bench-"))
    database_url = os.environ.get("DATABASE_URL") or None
    embedded = EmbeddedServers(data_dir, database=database_url is None, cache=False)
    try:
        urls = await embedded.start()
        settings = Settings(_env_file=None, database_url=database_url or urls.database_url)
        assert settings.database_url is not None
        await asyncio.to_thread(migrations.upgrade, settings.database_url)
        # Ingestion runs in jobs, under the jobs' statement timeout.
        engine = create_engine(settings, statement_timeout=settings.job_statement_timeout)
        try:
            await run(args, create_session_factory(engine))
        finally:
            await engine.dispose()
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
