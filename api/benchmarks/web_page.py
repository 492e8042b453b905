"""Time to content and page weight of the package page of the most used package.

Needs a seeded data directory (`WUMP_DATA_DIR=<dir> uv run wump dev seed --scale small`) and
Debian's Chromium (`apt-get install chromium`; `WUMP_CHROMIUM` overrides the path). Starts
`wump serve` on that directory like read_api.py, then prints:
- server time: the page's HTML over HTTP, p50/p95 of `BENCH_REQUESTS` (100) sequential
  requests, with the package's cached answers (warm) and with its cache generation bumped
  before each request (cold: users, charts and package read from PostgreSQL);
- the browser's domContentLoaded and load for the same page (median of 10 fresh loads, cold
  browser cache each time) in headless Chromium;
- page weight: the bytes of HTML, CSS and JS the browser downloaded for it.
"""

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from playwright.async_api import Response, async_playwright
from read_api import free_port, start_server, wait_ready
from redis.asyncio import Redis

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
LOADS = 10
CHROMIUM = os.environ.get("WUMP_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_BYTES = 100 * 1024
TARGET_MS = 200.0


async def server_times(
    client: httpx.AsyncClient, path: str, bump: Redis | None, key: str
) -> list[float]:
    times = []
    for _ in range(REQUESTS):
        if bump is not None:
            await bump.incr(key)
        started = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


def quantiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=20)
    return f"p50 {statistics.median(times):.1f} ms, p95 {cuts[18]:.1f} ms"


async def browser_figures(url: str) -> tuple[list[float], list[float], dict[str, int]]:
    dcl, load, weight = [], [], {"html": 0, "css": 0, "js": 0}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for index in range(LOADS):
            context = await browser.new_context()
            page = await context.new_page()
            sizes: dict[str, int] = {"html": 0, "css": 0, "js": 0}

            async def count(response: Response, sizes: dict[str, int] = sizes) -> None:
                kind = {"document": "html", "stylesheet": "css", "script": "js"}.get(
                    response.request.resource_type
                )
                if kind is not None:
                    sizes[kind] += len(await response.body())

            page.on("response", count)
            await page.goto(url, wait_until="load")
            timing = await page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"
            )
            dcl.append(timing[0])
            load.append(timing[1])
            if index == 0:
                weight = sizes
            await context.close()
        await browser.close()
    return dcl, load, weight


async def run(base: str, valkey_url: str) -> None:
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as client,
        Redis.from_url(valkey_url) as valkey,
    ):
        stats = (await client.get("/api/v1/stats")).json()
        top = max(
            ((e["ecosystem"], p) for e in stats["ecosystems"] for p in e["top_packages"]),
            key=lambda pair: pair[1]["organization_count"],
        )
        ecosystem, package = top[0], top[1]
        path = f"/packages/{ecosystem}/{package['name']}"
        print(
            f"most used: {ecosystem}/{package['name']} ({package['organization_count']:,} "
            f"organizations, {package['repository_count']:,} repositories)"
        )
        key = f"wump:v1:gen:package:{ecosystem}:{package['name']}"
        await client.get(path)
        warm = await server_times(client, path, None, key)
        cold = await server_times(client, path, valkey, key)
        await client.get(path)
    print(f"server time, cached answers: {quantiles(warm)}")
    print(f"server time, from PostgreSQL: {quantiles(cold)}")
    dcl, load, weight = await browser_figures(base + path)
    total = sum(weight.values())
    print(
        f"browser domContentLoaded: median {statistics.median(dcl):.0f} ms "
        f"(min {min(dcl):.0f}, max {max(dcl):.0f}); load: median {statistics.median(load):.0f} ms"
    )
    print(
        f"page weight: {total:,} bytes (HTML {weight['html']:,}, CSS {weight['css']:,}, "
        f"JS {weight['js']:,}); target < {TARGET_BYTES:,}: "
        f"{'met' if total < TARGET_BYTES else 'MISSED'}; domContentLoaded < {TARGET_MS:g} ms: "
        f"{'met' if statistics.median(dcl) < TARGET_MS else 'MISSED'}"
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
        asyncio.run(run(base, runtime["valkey_url"]))
    finally:
        server.terminate()
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
