"""Read-side refresh after an ingest, on a seeded dataset.

After every write transaction, ingestion recomputes the rollup rows of the (package,
organization) pairs its repositories touch (`UsageRefreshService.refresh_repositories`). This
times that refresh for batches of 1, 20 and 200 random repositories of a seeded data
directory (the same ones on every run), each in a transaction that is rolled back, so the
data stays as seeded: once as they are (nothing differs, the refresh only compares), and once
after their stars changed, as a re-crawl finds them, so every (package, organization) pair
they touch is recomputed.

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
            for starred in (False, True):
                for batch in BATCHES:
                    seconds = []
                    scopes = 0
                    for round_ in range(ROUNDS):
                        async with factory() as session:
                            # The same repositories on every run, to compare code or schemas.
                            await session.execute(
                                text("SELECT setseed(:seed)"), {"seed": round_ / ROUNDS}
                            )
                            picked = await session.execute(
                                text("SELECT id FROM repositories ORDER BY random() LIMIT :n"),
                                {"n": batch},
                            )
                            ids = list(picked.scalars())
                            if starred:
                                await session.execute(
                                    text(
                                        "UPDATE repositories SET stars = stars + 1"
                                        " WHERE id = ANY(CAST(:ids AS integer[]))"
                                    ),
                                    {"ids": ids},
                                )
                            began = time.perf_counter()
                            refreshed = await UsageRefreshService(session).refresh_repositories(ids)
                            seconds.append(time.perf_counter() - began)
                            scopes += len(refreshed.scopes)
                            await session.rollback()
                    p50, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
                    what = "starred" if starred else "as they are"
                    print(
                        f"refresh of {batch:>3} repositories ({what:>11}): p50 {p50:7.1f} ms,"
                        f" max {worst:7.1f} ms ({ROUNDS} rounds, {scopes / ROUNDS:,.0f} scopes"
                        " each)"
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
