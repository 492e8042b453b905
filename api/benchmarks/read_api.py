"""Read API latency and throughput, HTTP end to end, against a real `wump serve`.

Needs a seeded data directory: `WUMP_DATA_DIR=<dir> uv run wump dev seed --scale full` (or
small/medium), then `WUMP_DATA_DIR=<dir> uv run python benchmarks/read_api.py`. The script starts
`wump serve` on that directory (embedded PostgreSQL and Valkey), measures each case, prints a
table and stops the server. "Uncached" cases bump the package's cache generation before every
request, outside the timed part, so each answer comes from PostgreSQL.
"""

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis

LATENCY_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
TARGETS_MS = {
    "users, most used package, uncached": 25.0,
    "users, most used package, cached": 5.0,
    "users filtered (language + min_stars), most used": 150.0,
}


@dataclass
class Result:
    name: str
    p50: float
    p95: float
    p99: float
    rps: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "WUMP_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
        # The benchmark is one client hammering the API: no rate limit, no access log noise.
        "RATE_LIMIT_ANONYMOUS": "1000000000",
    }
    for name in ("DATABASE_URL", "VALKEY_URL"):
        environment.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"wump serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("wump serve did not become ready")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(
    name: str,
    client: httpx.AsyncClient,
    url: str,
    before: Callable[[], Awaitable[object]] | None = None,
    requests: int = LATENCY_REQUESTS,
) -> Result:
    """Sequential requests for the latency percentiles, then CONCURRENCY clients for req/s."""
    for _ in range(5):
        await client.get(url)
    samples = []
    for _ in range(requests):
        if before is not None:
            await before()
        started = time.perf_counter()
        response = await client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
    done = 0
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            if before is not None:
                await before()
            await client.get(url)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    rps = done / (time.perf_counter() - started)
    return Result(
        name,
        statistics.median(samples),
        percentile(samples, 0.95),
        percentile(samples, 0.99),
        rps,
    )


async def run(base: str, valkey_url: str) -> list[Result]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with (
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client,
        Redis.from_url(valkey_url) as valkey,
    ):
        stats = (await client.get("/api/v1/stats")).json()
        print(
            f"dataset: {stats['organizations']:,} organizations, "
            f"{stats['repositories']:,} repositories, {stats['dependencies']:,} dependencies"
        )
        top = max(
            (
                (package["organization_count"], ecosystem["ecosystem"], package["name"])
                for ecosystem in stats["ecosystems"]
                for package in ecosystem["top_packages"]
            ),
        )
        _, ecosystem, name = top
        listing = (await client.get("/api/v1/packages", params={"limit": 100})).json()
        for _ in range(4):
            listing = (
                await client.get(
                    "/api/v1/packages", params={"limit": 100, "cursor": listing["next_cursor"]}
                )
            ).json()
        middle = listing["items"][50]
        hot = (await client.get(f"/api/v1/packages/{ecosystem}/{name}")).json()
        print(
            f"most used: {ecosystem}/{name} ({hot['organization_count']:,} organizations, "
            f"{hot['repository_count']:,} repositories); mid-ranked: {middle['ecosystem']}/"
            f"{middle['name']} ({middle['organization_count']:,} organizations)"
        )
        language = "TypeScript" if ecosystem == "npm" else "Python"

        def bump(ecosystem: str, name: str) -> Callable[[], Awaitable[object]]:
            key = f"wump:v1:gen:package:{ecosystem}:{name}"
            return lambda: valkey.incr(key)

        users = f"/api/v1/packages/{ecosystem}/{name}/users"
        middle_users = f"/api/v1/packages/{middle['ecosystem']}/{middle['name']}/users"
        filtered = f"{users}?language={language}&min_stars=100"
        results = [
            await measure("/health/live (floor)", client, "/health/live"),
            await measure(
                "users, most used package, uncached", client, users, bump(ecosystem, name)
            ),
            await measure("users, most used package, cached", client, users),
            await measure(
                "users, mid-ranked package, uncached",
                client,
                middle_users,
                bump(middle["ecosystem"], middle["name"]),
            ),
            await measure("users, mid-ranked package, cached", client, middle_users),
            await measure(
                "users filtered (language + min_stars), most used",
                client,
                filtered,
                bump(ecosystem, name),
                requests=min(LATENCY_REQUESTS, 100),
            ),
            await measure("package search (q=pkg-1)", client, "/api/v1/packages?q=pkg-1"),
        ]
    return results


def report(results: list[Result]) -> None:
    floor = results[0].rps
    print()
    print("| case | p50 ms | p95 ms | p99 ms | req/s | target |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for result in results:
        target = TARGETS_MS.get(result.name)
        verdict = ""
        if target is not None:
            verdict = f"p95 <= {target:g} ms: {'met' if result.p95 <= target else 'MISSED'}"
        if result.name.endswith("cached") and "uncached" not in result.name:
            share = result.rps / floor
            verdict += f"{'; ' if verdict else ''}{share:.0%} of floor"
        print(
            f"| {result.name} | {result.p50:.2f} | {result.p95:.2f} | {result.p99:.2f} | "
            f"{result.rps:,.0f} | {verdict} |"
        )


def main() -> int:
    data_dir = Path(os.environ.get("WUMP_DATA_DIR", "")).expanduser()
    if not data_dir.is_dir():
        print("set WUMP_DATA_DIR to a seeded data directory (wump dev seed)", file=sys.stderr)
        return 2
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(data_dir, port)
    try:
        wait_ready(base, server)
        runtime = json.loads((data_dir / "runtime.json").read_text())
        report(asyncio.run(run(base, runtime["valkey_url"])))
    finally:
        server.terminate()
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
