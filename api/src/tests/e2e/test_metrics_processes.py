"""Metrics across processes: `wump serve --workers 2` sums both workers' series in every
scrape, and `wump worker` serves its own on WORKER_METRICS_PORT."""

import os
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests import conftest
from tests.conftest import free_port
from tests.e2e.local_http import local
from tests.e2e.processes import start_wump, stop, wait_for
from tests.metrics_support import value

pytestmark = pytest.mark.e2e

LIVE = {"route": "/health/live", "method": "GET", "status": "200"}


@pytest.fixture
async def environment(
    servers: conftest.TestServers, tmp_path: Path
) -> AsyncIterator[dict[str, str]]:
    # A database of their own: the processes run every job that earlier tests left queued in
    # the shared one, against upstreams that do not answer, and a job in flight holds up a stop.
    async with conftest.database_from_template(servers) as database_url:
        yield {
            **os.environ,
            "DATABASE_URL": database_url,
            "VALKEY_URL": servers.valkey_url,
            "WUMP_DATA_DIR": str(tmp_path / "data"),
            "LOG_FORMAT": "json",
        }


@pytest.fixture
def two_workers(environment: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    directory = tmp_path / "metrics"
    directory.mkdir()
    # A file of an earlier run: counted (or unreadable) unless serve clears the directory.
    (directory / "counter_1.db").write_bytes(b"left over from an earlier run")
    port = free_port()
    environment = {**environment, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    log = tmp_path / "serve.log"
    server = start_wump(log, environment, "serve", "--port", str(port), "--workers", "2")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health/live", server, log)
        yield url, directory
    finally:
        stop(server)


def _live_counts(directory: Path) -> dict[str, float]:
    """Requests to /health/live per process, read from each worker's own file."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        entries = MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]
        total = sum(
            entry[1]
            for entry in entries
            if '"wump_http_requests_total"' in entry[0] and '"/health/live"' in entry[0]
        )
        counts[path.name] = total
    return counts


def test_two_workers_are_summed_in_every_scrape(two_workers: tuple[str, Path]) -> None:
    url, directory = two_workers
    sent = 1  # the readiness wait above
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Fresh connections until both workers have answered some (bounded by time: the
        # kernel hands connections to whichever worker accepts first, and a busy machine once
        # gave 400 in a row to one).
        settled = time.monotonic() + 60
        while time.monotonic() < settled:
            # Generous: on a loaded machine a worker may answer its first requests slowly.
            answers = list(
                pool.map(lambda _: local.get(f"{url}/health/live", timeout=30), range(20))
            )
            assert all(answer.status_code == 200 for answer in answers)
            sent += len(answers)
            if sum(1 for count in _live_counts(directory).values() if count) >= 2:
                break
    # A worker counts a request once its answer is sent, so the client may read the files a
    # moment before the last increment lands (bounded wait).
    deadline = time.monotonic() + 10
    per_process = _live_counts(directory)
    while sum(per_process.values()) < sent and time.monotonic() < deadline:
        time.sleep(0.05)
        per_process = _live_counts(directory)
    scrapes = [local.get(f"{url}/metrics", timeout=10).text for _ in range(6)]

    assert "counter_1.db" not in per_process
    assert sum(1 for count in per_process.values() if count) == 2, per_process
    assert sum(per_process.values()) == sent
    assert [value(scrape, "wump_http_requests_total", **LIVE) for scrape in scrapes] == [sent] * 6


def test_worker_serves_its_own_metrics(environment: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "worker.log"
    environment = {**environment, "WORKER_METRICS_PORT": str(port)}
    worker = start_wump(log, environment, "worker", "--concurrency", "1")
    try:
        body = wait_for(f"http://127.0.0.1:{port}/metrics", worker, log).text
    finally:
        code = stop(worker)

    assert "# TYPE wump_job_attempts_total counter" in body
    assert "# TYPE wump_upstream_requests_total counter" in body
    assert code == 0
