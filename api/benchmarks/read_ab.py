"""The uncached read path, A/B: an earlier revision of wump and the working tree served in turn
on one seeded data directory, so a change of a few milliseconds shows through the machine's
own drift (on a shared 2-core machine, the `/health/live` floor alone moved from 1.6 to 2.8 ms
within an hour).

Needs what `read_api.py` needs (a seeded `WUMP_DATA_DIR`, no `wump serve` running on it) and a
git checkout: `uv run python benchmarks/read_ab.py --before <rev>`. The revision is checked out
in a temporary worktree and served from there (its `src` first on the path); it must expect the
database schema the data directory has, or its server stops at start and so does this script.

Each cycle starts each side's `wump serve` (which side goes first alternates), lets its buffers
reload, then asks for first hits (the 50 most used packages, `limit=50`, three times) and the
most used package under `language=X&min_stars=10` (the languages of its first page, four
times), each after its package's cache generation was bumped, so PostgreSQL answers every one.
Prints, per side and case, each cycle's p50 and p95 and the server's CPU per request.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
from read_api import (
    LANGUAGES,
    Bench,
    free_port,
    start_server,
    stop_server,
    top_packages,
    users_languages,
    users_url,
    wait_ready,
)
from redis.asyncio import Redis

FIRST_HIT_ROUNDS = 3
FILTER_ROUNDS = 4
# What autoprewarm needs to reload the buffers after a start on the full dataset, so both sides
# are measured in the same state.
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE_SECONDS", "20"))

# (p50 ms, p95 ms, server CPU ms per request) per case, for one side in one cycle.
Figures = dict[str, tuple[float, float, float]]


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """`revision` checked out in a temporary git worktree, removed afterwards."""
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="wump-ab-") as parent:
        path = Path(parent) / "before"
        subprocess.run(
            ["git", "-C", top, "worktree", "add", "--detach", str(path), revision],
            check=True,
            capture_output=True,
        )
        try:
            yield path / "api" / "src"
        finally:
            subprocess.run(
                ["git", "-C", top, "worktree", "remove", "--force", str(path)], check=False
            )


async def measure(base: str, valkey_url: str, pid: int) -> Figures:
    server = psutil.Process(pid)

    def cpu() -> float:
        times = server.cpu_times()
        return times.user + times.system

    figures: Figures = {}
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as client,
        Redis.from_url(valkey_url) as valkey,
    ):
        bench = Bench(client, valkey)
        top = await top_packages(client)
        ecosystem, name = top[0]
        languages = await users_languages(client, ecosystem, name)
        cases = {
            "first hits": [(e, n, users_url(e, n)) for e, n in top] * FIRST_HIT_ROUNDS,
            "language filters": [
                (ecosystem, name, users_url(ecosystem, name, f"language={lang}&min_stars=10"))
                for lang in languages[:LANGUAGES]
            ]
            * FILTER_ROUNDS,
        }
        for case, requests in cases.items():
            before = cpu()
            samples = sorted([await bench.cold(e, n, url) for e, n, url in requests])
            used = (cpu() - before) * 1000 / len(samples)
            p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
            figures[case] = (statistics.median(samples), p95, used)
    return figures


def serve_and_measure(data_dir: Path, source: Path | None) -> Figures:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(data_dir, port, python_path=source)
    try:
        wait_ready(base, server)
        time.sleep(SETTLE_SECONDS)
        runtime = json.loads((data_dir / "runtime.json").read_text())
        return asyncio.run(measure(base, runtime["valkey_url"], server.pid))
    finally:
        stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the git revision to compare against")
    parser.add_argument("--cycles", type=int, default=4, help="cycles of both sides (default 4)")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("WUMP_DATA_DIR", "")).expanduser()
    if not data_dir.is_dir():
        print("set WUMP_DATA_DIR to a seeded data directory (wump dev seed)", file=sys.stderr)
        return 2
    results: dict[str, list[Figures]] = {"before": [], "after": []}
    with worktree(args.before) as before_source:
        sides = {"before": before_source, "after": None}
        for cycle in range(args.cycles):
            order = ["before", "after"] if cycle % 2 == 0 else ["after", "before"]
            for side in order:
                figures = serve_and_measure(data_dir, sides[side])
                results[side].append(figures)
                shown = ", ".join(
                    f"{case} {p50:.1f} / {p95:.1f} ms, {used:.1f} ms CPU"
                    for case, (p50, p95, used) in figures.items()
                )
                print(f"cycle {cycle + 1}, {side}: {shown}", flush=True)
    print(f"\nbefore = {args.before}, after = the working tree; one value per cycle\n")
    print("| side | case | p50 ms | p95 ms | server CPU ms per request |")
    print("| --- | --- | --- | --- | --- |")
    for side, cycles in results.items():
        for case in cycles[0]:
            columns = [", ".join(f"{figures[case][i]:.1f}" for figures in cycles) for i in range(3)]
            print(f"| {side} | {case} | " + " | ".join(columns) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
