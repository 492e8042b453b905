"""API throughput with 1, 2 and 4 `wump serve` worker processes on one database.

Needs a seeded data directory (`WUMP_DATA_DIR`, e.g. `wump dev seed --scale small`), no
`wump serve` running on it, and `wrk` (Debian package `wrk`). For each worker count it starts
`wump serve --workers N` on the directory's embedded PostgreSQL and Valkey, and runs wrk
(`BENCH_CONNECTIONS` 16 connections, `BENCH_SECONDS` 10 s, only against 127.0.0.1) on the most
used package's users list twice:

- cached: the same query over and over, answered from Valkey after the first request;
- uncached: the same server started with VALKEY_URL on a closed port, so every answer is built
  by PostgreSQL (the cache's failures are skipped by its breaker, as in a Valkey outage).

Prints a Markdown table of requests/s and p99 latency per case and worker count.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from read_api import free_port, stop_server, wait_ready

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = (1, 2, 4)
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def start(data_dir: Path, port: int, workers: int, *, cached: bool) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "WUMP_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
        "RATE_LIMIT_ANONYMOUS": "1000000000",
        # One command serves; no jobs compete for the cores.
        "WORKER_IN_PROCESS": "false",
    }
    environment.pop("DATABASE_URL", None)
    environment.pop("VALKEY_URL", None)
    if not cached:
        environment["VALKEY_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wrk(url: str) -> tuple[float, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
        check=False,
    ).stdout
    rate, p99 = _RATE.search(output), _P99.search(output)
    failed = _NON_2XX.search(output)
    if rate is None or p99 is None or failed is not None:
        raise SystemExit(f"wrk on {url} failed or saw errors:\n{output}")
    return float(rate.group(1)), float(p99.group(1)) * _UNIT_MS[p99.group(2)]


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("install wrk (Debian package wrk)")
    data_dir = Path(os.environ.get("WUMP_DATA_DIR", "")).expanduser()
    if not str(data_dir) or not data_dir.is_dir():
        raise SystemExit("set WUMP_DATA_DIR to a seeded data directory")
    rows = []
    path = None
    for cached in (True, False):
        for workers in WORKERS:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start(data_dir, port, workers, cached=cached)
            try:
                wait_ready(base, server)
                if path is None:
                    top = httpx.get(f"{base}/api/v1/packages", params={"limit": 1}).json()
                    item = top["items"][0]
                    path = f"/api/v1/packages/{item['ecosystem']}/{item['name']}/users?limit=20"
                httpx.get(base + path, timeout=30).raise_for_status()
                rate, p99 = wrk(base + path)
            finally:
                stop_server(server)
            case = "cached" if cached else "uncached"
            rows.append((case, workers, rate, p99))
            print(f"{case} workers={workers}: {rate:.0f} req/s, p99 {p99:.1f} ms", flush=True)
    print(f"\n{path}, {CONNECTIONS} connections, {SECONDS} s each, {os.cpu_count()} cores\n")
    print("| users query | workers | req/s | p99 ms |\n|---|---|---|---|")
    for case, workers, rate, p99 in rows:
        print(f"| {case} | {workers} | {rate:.0f} | {p99:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
