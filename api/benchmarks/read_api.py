"""Read API latency and throughput as users meet it, HTTP end to end, against a real `wump serve`.

Needs a seeded data directory: `WUMP_DATA_DIR=<dir> uv run wump dev seed --scale full` (or
small/medium), then `WUMP_DATA_DIR=<dir> uv run python benchmarks/read_api.py`. The script starts
`wump serve` on that directory (embedded PostgreSQL and Valkey), measures, prints one table and
stops the server; with `--restart` it then restarts the server (and its embedded PostgreSQL) and
measures the first hits and filters again, cold.

First hits are what a user meets: each of the 50 most used packages asked once at `limit=50`,
each filter and sort asked once; the package's cache generation is bumped before each of them
(outside the timed part), so every one is answered by PostgreSQL. Cached figures are measured in
the same run as the `/health/live` floor; throughput uses wrk when it is installed (an HTTP
client in this process would be the bottleneck), else concurrent httpx clients.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from redis.asyncio import Redis

PAGE = 50
TOP_PACKAGES = 50
LANGUAGES = 8
CACHED_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
THROUGHPUT_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
PORTFOLIO_REQUESTS = int(os.environ.get("BENCH_PORTFOLIO_REQUESTS", "20"))


@dataclass
class Row:
    case: str
    samples: list[float]
    goal: str = ""

    def cells(self) -> str:
        s = sorted(self.samples)
        p50, p95 = statistics.median(s), s[min(len(s) - 1, int(0.95 * len(s)))]
        return f"| {self.case} | {len(s)} | {p50:.1f} | {p95:.1f} | {s[-1]:.1f} | {self.goal} |"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    data_dir: Path, port: int, python_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """`wump serve` on the data directory; with `python_path`, the wump found there (another
    revision's `src`) instead of the installed one."""
    environment = {
        **os.environ,
        "WUMP_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
        # Many clients from one address: the limit is not what is measured here.
        "RATE_LIMIT_ANONYMOUS": "1000000000",
        # The read path alone: no in-process worker running queued jobs (enrichment jobs that
        # need the network, retried with backoff) on the cores the requests are measured on.
        "WORKER_IN_PROCESS": "false",
    }
    for name in ("DATABASE_URL", "VALKEY_URL"):
        environment.pop(name, None)
    if python_path is not None:
        environment["PYTHONPATH"] = str(python_path)
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
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


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=120)


class Bench:
    def __init__(self, client: httpx.AsyncClient, valkey: Redis) -> None:
        self.client = client
        self.valkey = valkey

    async def timed(self, url: str) -> float:
        started = time.perf_counter()
        response = await self.client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
        return elapsed

    async def cold(self, ecosystem: str, name: str, url: str) -> float:
        """One answer built by PostgreSQL: the package's cache generation moves first."""
        await self.valkey.incr(f"wump:v1:gen:package:{ecosystem}:{name}")
        return await self.timed(url)

    async def repeated(self, url: str, count: int = CACHED_REQUESTS) -> list[float]:
        for _ in range(5):
            await self.timed(url)
        return [await self.timed(url) for _ in range(count)]


def users_url(ecosystem: str, name: str, query: str = "") -> str:
    return f"/api/v1/packages/{ecosystem}/{name}/users?limit={PAGE}" + (
        f"&{query}" if query else ""
    )


async def users_languages(client: httpx.AsyncClient, ecosystem: str, name: str) -> list[str]:
    """The languages of the package's first users page, each once, in the order they appear."""
    page = (await client.get(users_url(ecosystem, name))).json()
    return list(dict.fromkeys(lang for item in page["items"] for lang in item["languages"]))


async def top_packages(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    page = (await client.get("/api/v1/packages", params={"limit": TOP_PACKAGES})).json()
    return [(item["ecosystem"], item["name"]) for item in page["items"]]


async def portfolio_runs(client: httpx.AsyncClient, database_url: str) -> list[Row]:
    """A portfolio is never cached: every answer is built by PostgreSQL. The 50 most used
    packages as one portfolio (the worst case of 50 packages: the hottest ones), then the
    maintainer who owns the most packages, by login. BENCH_PORTFOLIO_REQUESTS=0 skips both."""
    if PORTFOLIO_REQUESTS <= 0:
        return []
    page = (await client.get("/api/v1/packages", params={"limit": TOP_PACKAGES})).json()
    purls = [item["purl"] for item in page["items"]]

    async def post() -> float:
        started = time.perf_counter()
        response = await client.post(f"/api/v1/portfolio?limit={PAGE}", json={"purls": purls})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"portfolio answered {response.status_code}: {response.text[:300]}")
        return elapsed

    rows = [
        Row(
            f"portfolio of the {len(purls)} most used packages, limit={PAGE}",
            [await post() for _ in range(PORTFOLIO_REQUESTS)],
        )
    ]
    owner = await maintainer_with_most_packages(database_url)
    if owner is not None:
        url = f"/api/v1/maintainers/{owner}/users?limit={PAGE}"
        samples = []
        for _ in range(PORTFOLIO_REQUESTS):
            started = time.perf_counter()
            response = await client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        rows.append(Row(f"maintainer {owner}'s users, limit={PAGE}", samples))
    return rows


async def maintainer_with_most_packages(database_url: str) -> str | None:
    """The login owning the most packages' source repositories."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        login: str | None = await connection.fetchval(
            "SELECT source_owner FROM packages WHERE source_owner IS NOT NULL"
            " GROUP BY source_owner ORDER BY count(*) DESC, source_owner LIMIT 1"
        )
    finally:
        await connection.close()
    return login


async def users_enums(client: httpx.AsyncClient) -> tuple[list[str], list[str]]:
    """The kinds and sorts the users endpoint accepts, as its OpenAPI document says."""
    document = (await client.get("/openapi.json")).json()
    path = next(p for p in document["paths"] if p.endswith("/{name}/users") and "ecosystem" in p)
    found: dict[str, list[str]] = {}
    for parameter in document["paths"][path]["get"]["parameters"]:
        schema = parameter.get("schema", {})
        for candidate in (schema, schema.get("items", {}), *schema.get("anyOf", [])):
            candidate = candidate.get("items", candidate)
            if "enum" in candidate:
                found[parameter["name"]] = candidate["enum"]
    return found.get("kind", []), found.get("sort", [])


def cpu_seconds(data_dir: Path, pid: int) -> tuple[float, dict[int, float]]:
    """CPU time used so far by the server process, and by each of its PostgreSQL's processes
    but pg_prewarm's (the postmaster, backends and I/O workers), per process id."""
    postmaster = psutil.Process(
        int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    )
    database: dict[int, float] = {}
    for process in (postmaster, *postmaster.children()):
        with contextlib.suppress(psutil.Error):
            if "autoprewarm" in " ".join(process.cmdline()):
                continue  # reloading the buffers after a start is not a request's work
            times = process.cpu_times()
            database[process.pid] = times.user + times.system
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system, database


def cpu_per_request(
    before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]], requests: int
) -> str:
    """Server and PostgreSQL CPU milliseconds per request between two `cpu_seconds`; a
    process that started or ended between them is left out."""
    database = sum(after[1][pid] - before[1][pid] for pid in after[1].keys() & before[1].keys())
    return (
        f"{1000 * (after[0] - before[0]) / requests:.1f} ms of server CPU and"
        f" {1000 * database / requests:.1f} ms of PostgreSQL CPU per request"
    )


async def cold_runs(
    bench: Bench, top: list[tuple[str, str]], cpu: Callable[[], tuple[float, dict[int, float]]]
) -> tuple[list[Row], list[str]]:
    ecosystem, name = top[0]
    before = cpu()
    samples = [await bench.cold(e, n, users_url(e, n)) for e, n in top]
    after = cpu()
    first = Row(f"first hits, {len(top)} most used packages, limit={PAGE}", samples, "p95 <= 25 ms")
    # CPU counts what a first hit costs whatever else the machine runs, latency does not.
    notes = [f"first hits: {cpu_per_request(before, after, len(top))}"]
    languages = await users_languages(bench.client, ecosystem, name)
    filters = Row(
        f"most used, language=X&min_stars=10, {min(LANGUAGES, len(languages))} languages",
        [
            await bench.cold(
                ecosystem, name, users_url(ecosystem, name, f"language={lang}&min_stars=10")
            )
            for lang in languages[:LANGUAGES]
        ],
        "p95 <= 100, max <= 150 ms",
    )
    kinds, sorts = await users_enums(bench.client)
    rows = [first, filters]
    for kind in kinds:
        url = users_url(ecosystem, name, f"kind={kind}")
        rows.append(
            Row(f"most used, kind={kind}", [await bench.cold(ecosystem, name, url)], "<= 150 ms")
        )
    for sort in sorts:
        url = users_url(ecosystem, name, f"sort={sort}")
        rows.append(Row(f"most used, sort={sort}", [await bench.cold(ecosystem, name, url)], ""))
    return rows, notes


def server_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the server process has used so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # utime and stime are the 14th and 15th fields; [2:] of what follows the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(base: str, path: str, pid: int) -> tuple[float, str, float | None]:
    """Requests per second at CONNECTIONS connections over THROUGHPUT_SECONDS, the tool (wrk,
    or httpx where wrk is not installed), and the server's CPU milliseconds per request
    (independent of what else the machine runs)."""
    cpu_before = server_cpu_seconds(pid)
    if shutil.which("wrk"):
        process = await asyncio.create_subprocess_exec(
            *("wrk", "-t2", f"-c{CONNECTIONS}", f"-d{THROUGHPUT_SECONDS}s", base + path),
            stdout=asyncio.subprocess.PIPE,
        )
        output = (await process.communicate())[0].decode()
        if process.returncode:
            raise SystemExit(f"wrk on {path} exited with {process.returncode}:\n{output}")
        match = re.search(r"Requests/sec:\s+([\d.]+)", output)
        total = re.search(r"(\d+) requests in", output)
        if match is None or total is None or "Non-2xx" in output:
            raise SystemExit(f"wrk on {path} failed:\n{output}")
        rps, requests, tool = float(match.group(1)), int(total.group(1)), "wrk"
    else:
        rps, requests = await _httpx_throughput(base, path)
        tool = "httpx"
    cpu_after = server_cpu_seconds(pid)
    if cpu_before is None or cpu_after is None or not requests:
        return rps, tool, None
    return rps, tool, (cpu_after - cpu_before) * 1000 / requests


async def _httpx_throughput(base: str, path: str) -> tuple[float, int]:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    done = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + THROUGHPUT_SECONDS

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await client.get(path)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return done / (time.perf_counter() - started), done


async def disk_per_dependency_row(database_url: str) -> tuple[float, int, int]:
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn)
    try:
        total = await connection.fetchval(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'm') AND n.nspname = 'public'"
        )
        rows = await connection.fetchval("SELECT count(*) FROM dependencies")
    finally:
        await connection.close()
    return (total / rows if rows else 0.0), int(total), int(rows)


async def measure(
    base: str,
    valkey_url: str,
    database_url: str,
    pid: int,
    data_dir: Path,
    *,
    warm_paths: bool,
    cold: bool = True,
) -> tuple[list[Row], list[str]]:
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as client,
        Redis.from_url(valkey_url) as valkey,
    ):
        bench = Bench(client, valkey)
        top = await top_packages(client)
        ecosystem, name = top[0]
        hot = users_url(ecosystem, name)
        rows = [
            Row(
                f"most used ({ecosystem}/{name}), first request",
                [await bench.cold(ecosystem, name, hot)],
                "<= 25 ms",
            )
        ]
        notes: list[str] = []
        if cold:
            cold_rows, notes = await cold_runs(bench, top, lambda: cpu_seconds(data_dir, pid))
            rows += cold_rows
            rows += await portfolio_runs(client, database_url)
        if warm_paths:
            floor = await bench.repeated("/health/live")
            cached = await bench.repeated(hot)
            detail = f"/api/v1/packages/{ecosystem}/{name}"
            rows += [
                Row("/health/live (floor)", floor),
                Row(
                    "most used, cached",
                    cached,
                    f"p50 <= {2 * statistics.median(floor):.1f} ms (2x floor)",
                ),
                Row(f"{detail}", await bench.repeated(detail), "p50 <= 2x floor"),
            ]
            for label, path in (
                ("/health/live", "/health/live"),
                ("users, cached", hot),
                ("package detail", detail),
            ):
                rps, tool, cpu = await throughput(base, path, pid)
                notes.append(
                    f"{label}: {rps:,.0f} req/s at {CONNECTIONS} connections"
                    f" ({tool}, {THROUGHPUT_SECONDS} s)"
                    + (f", server CPU {cpu:.2f} ms per request" if cpu is not None else "")
                )
    return rows, notes


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}\n")
    print("| case | requests | p50 ms | p95 ms | max ms | goal |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(row.cells())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restart", action="store_true", help="measure again after a restart")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="only the cached answers and throughput (no first hits or filters)",
    )
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the first hits, filters, kinds and sorts (no cached answers or throughput)",
    )
    args = parser.parse_args()
    data_dir = Path(os.environ.get("WUMP_DATA_DIR", "")).expanduser()
    if not data_dir.is_dir():
        print("set WUMP_DATA_DIR to a seeded data directory (wump dev seed)", file=sys.stderr)
        return 2
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rounds = [("after start", True)]
    if args.restart and not args.cached_only:
        rounds.append(("after a restart (cold)", False))
    for number, (title, warm_paths) in enumerate(rounds):
        server = start_server(data_dir, port)
        try:
            started = time.monotonic()
            wait_ready(base, server)
            runtime: dict[str, Any] = json.loads((data_dir / "runtime.json").read_text())
            if number == 0:
                per_row, total, count = asyncio.run(
                    disk_per_dependency_row(runtime["database_url"])
                )
                print(
                    f"disk: {total / 1e9:.2f} GB for {count:,} dependency rows"
                    f" = {per_row:,.0f} bytes per row (goal <= 400)"
                )
            print(f"ready in {time.monotonic() - started:.1f} s")
            load = os.getloadavg()[0]
            rows, notes = asyncio.run(
                measure(
                    base,
                    runtime["valkey_url"],
                    runtime["database_url"],
                    server.pid,
                    data_dir,
                    warm_paths=warm_paths and not args.cold_only,
                    cold=not args.cached_only,
                )
            )
            # The machine's other work shows in every figure but the CPU per request.
            print(f"load average (1 min) {load:.1f} before, {os.getloadavg()[0]:.1f} after")
            print_table(title, rows)
            for note in notes:
                print(f"- {note}")
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
