"""Read-side refresh after an ingest, on a seeded dataset.

After every write transaction, ingestion recomputes the rollup rows of the (package,
organization) pairs its repositories touch (`UsageRefreshService.refresh_repositories`). This
times that refresh for batches of 1, 20 and 200 random repositories of a seeded data
directory, each in a transaction that is rolled back, so the data stays as seeded.

Needs a seeded data directory and no `wump serve` on it:
`WUMP_DATA_DIR=<dir> uv run wump dev seed --scale medium` (or full), then
`WUMP_DATA_DIR=<dir> uv run python benchmarks/refresh_at_scale.py`.
"""

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text

from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.core.embedded import EmbeddedServers
from app.services.usage_refresh import UsageRefreshService

BATCHES = (1, 20, 200)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


async def main(data_dir: Path) -> None:
    embedded = EmbeddedServers(data_dir, database=True, cache=False)
    urls = await embedded.start()
    try:
        engine = create_engine(Settings(_env_file=None, database_url=urls.database_url))
        factory = create_session_factory(engine)
        try:
            async with factory() as session:
                sizes = await session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM repositories),"
                        " (SELECT count(*) FROM package_dependents)"
                    )
                )
                repositories, dependents = sizes.one()
            print(f"{repositories:,} repositories, {dependents:,} package_dependents rows")
            for batch in BATCHES:
                seconds = []
                for _ in range(ROUNDS):
                    async with factory() as session:
                        picked = await session.execute(
                            text("SELECT id FROM repositories ORDER BY random() LIMIT :n"),
                            {"n": batch},
                        )
                        ids = list(picked.scalars())
                        began = time.perf_counter()
                        await UsageRefreshService(session).refresh_repositories(ids)
                        seconds.append(time.perf_counter() - began)
                        await session.rollback()
                p50, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
                print(
                    f"refresh of {batch:>3} repositories: p50 {p50:7.1f} ms,"
                    f" max {worst:7.1f} ms ({ROUNDS} rounds)"
                )
        finally:
            await engine.dispose()
    finally:
        embedded.stop()


if __name__ == "__main__":
    seeded = Path(os.environ.get("WUMP_DATA_DIR", "")).expanduser()
    if not (seeded / "postgres").is_dir():
        print("set WUMP_DATA_DIR to a seeded data directory (wump dev seed)", file=sys.stderr)
        raise SystemExit(2)
    asyncio.run(main(seeded))
