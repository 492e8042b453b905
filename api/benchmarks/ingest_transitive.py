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
import random
import string
import time
from collections.abc import Sequence
from dataclasses import replace

from ingest_batches import bytes_per_dependency, database, load_average, write
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.manifests import parse
from app.services.ingestion.rows import (
    DependencyFacts,
    ScannedRepository,
    facts_from_manifest,
    local_fields,
)

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


async def run(args: argparse.Namespace, factory: async_sessionmaker[AsyncSession]) -> None:
    print(
        f"{args.repos} repositories, {args.variants} distinct package-lock.json files of"
        f" about {args.lock_mb} MB; {load_average()}"
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
    await write(factory, scans_for("bench-warm", facts, len(facts), with_via=True), False)
    print("2. dependency writes (rows/s; rollup refresh apart):")
    runs = [("with via (after)", "bench-after", True)]
    if not args.only_via:
        runs.insert(0, ("without via (before)", "bench-before", False))
    for label, login, keep_via in runs:
        timed = await write(factory, scans_for(login, facts, args.repos, keep_via), False)
        rate = timed.rows / timed.writes
        met = "met" if rate >= TARGET_ROWS_PER_S else "NOT met"
        print(
            f"   {label:22} {timed.rows:>10,} rows  {rate:>9,.0f} rows/s"
            f" (target {TARGET_ROWS_PER_S:,}: {met}); refresh {timed.refresh:6.1f} s"
            f" ({timed.rows / timed.refresh:,.0f} rows/s); {timed.cpu_rate()}"
        )
    parsing = sum(parse_seconds[i % len(files)] for i in range(args.repos))
    total = parsing + timed.writes + timed.refresh
    print(
        f"3. end to end with via: {timed.rows / (parsing + timed.writes):,.0f} rows/s parse"
        f" + write ({parsing:.1f} s parsing, {timed.writes:.1f} s writing),"
        f" {timed.rows / total:,.0f} rows/s with the refresh ({total:.1f} s)"
    )
    rows, size = await bytes_per_dependency(factory)
    print(f"4. dependencies table: {rows:,} rows, {size:,.0f} bytes per row; {load_average()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repos", type=int, default=1_000)
    parser.add_argument("--lock-mb", type=float, default=5.0)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument(
        "--only-via", action="store_true", help="skip the run without via (a long run's half)"
    )
    args = parser.parse_args()
    async with database() as factory:
        await run(args, factory)


if __name__ == "__main__":
    asyncio.run(main())
