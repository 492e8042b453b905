"""Ingestion as an operator runs it: `wump serve` (and `wump worker`) as real processes, their
providers pointed at `wump dev fake-upstream`, read back over HTTP."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.e2e

_SCRUBBED = ("DATABASE_URL", "VALKEY_URL", "WUMP_DATA_DIR", "WORKER_IN_PROCESS")


@dataclass
class Stack:
    base_url: str
    environment: dict[str, str]
    headers: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def wump(self, *arguments: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *arguments],
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, headers=self.headers, timeout=10)

    def post(self, path: str) -> httpx.Response:
        return httpx.post(self.base_url + path, headers=self.headers, timeout=10)

    def job_when(
        self, job_id: str, ready: Callable[[dict[str, Any]], bool], deadline_s: float
    ) -> dict[str, Any]:
        deadline = time.monotonic() + deadline_s
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = self.get(f"/api/v1/jobs/{job_id}").json()
            if ready(job):
                return job
            time.sleep(0.2)
        pytest.fail(f"job {job_id} never got there; last seen {job}")

    def users(self, ecosystem: str, name: str) -> list[tuple[str, int]]:
        response = self.get(f"/api/v1/packages/{ecosystem}/{name}/users")
        assert response.status_code == 200, response.text
        return [(u["login"], u["repository_count"]) for u in response.json()["items"]]


KEY_OPTIONS = ("--scopes", "read,ingest", "--tier", "enterprise")


def _wait_until_answers(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {deadline_s} s")


def _stop(process: subprocess.Popen[bytes]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _start_stack(scenario: Path | None, **settings: str) -> Iterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="wump-e2e-ingest-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upstream_port, api_port = free_port(), free_port()
        environment = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        upstream = f"http://127.0.0.1:{upstream_port}"
        environment.update(
            LOG_FORMAT="json",
            WUMP_DATA_DIR=str(data_dir),
            GITHUB_API_URL=f"{upstream}/github",
            GITHUB_GRAPHQL_URL=f"{upstream}/github/graphql",
            ECOSYSTEMS_API_URL=f"{upstream}/ecosystems/api/v1",
            ECOSYSTEMS_PACKAGES_API_URL=f"{upstream}/ecosystems-packages/api/v1",
            GITHUB_TOKEN="e2e-token",
            **settings,
        )
        stack = Stack(f"http://127.0.0.1:{api_port}", environment, {}, processes)
        fake = ["dev", "fake-upstream", "--port", str(upstream_port)]
        fake_upstream = stack.wump(*fake, *(["--scenario", str(scenario)] if scenario else []))
        server = stack.wump("serve", "--port", str(api_port))
        _wait_until_answers(f"{upstream}/github/rate_limit", fake_upstream, 30)
        _wait_until_answers(f"{stack.base_url}/health/live", server, 90)
        created = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--name", "e2e", *KEY_OPTIONS],
            env=environment,
            capture_output=True,
            timeout=60,
            check=True,
        )
        stack.headers["X-API-Key"] = created.stdout.decode().split()[-1]
        yield stack
    finally:
        for process in reversed(processes):
            _stop(process)
        subprocess.run(["rm", "-rf", str(data_dir)], check=False)


@pytest.fixture
def stack() -> Iterator[Stack]:
    yield from _start_stack(None)


def test_serve_ingests_an_organization_and_a_package_with_its_own_worker(stack: Stack) -> None:
    queued = stack.post("/api/v1/ingest/organizations/octo-org")
    assert queued.status_code == 202, queued.text
    job = stack.job_when(queued.json()["id"], lambda j: j["status"] in ("completed", "failed"), 60)
    assert job["status"] == "completed", job
    assert job["records_processed"] == 5
    assert stack.users("npm", "left-pad") == [("octo-org", 1)]
    assert stack.users("pypi", "fastapi") == [("octo-org", 1)]

    discovery = stack.post("/api/v1/ingest/packages/go/github.com/spf13/cobra")
    assert discovery.status_code == 202, discovery.text
    job = stack.job_when(
        discovery.json()["id"], lambda j: j["status"] in ("completed", "failed"), 60
    )
    assert job["status"] == "completed", job
    assert stack.users("go", "github.com/spf13/cobra") == [("acme-labs", 1)]


SLOW_REPOSITORIES = 12


@pytest.fixture
def slow_stack(tmp_path: Path) -> Iterator[Stack]:
    """An organization whose crawl takes a few seconds, and no worker inside the server."""
    repositories = [
        {
            "name": f"service-{n}",
            "files": {
                "package.json": json.dumps({"dependencies": {"shared-lib": "^2.0.0"}}),
                "requirements.txt": f"requests=={n}.0\n",
            },
        }
        for n in range(SLOW_REPOSITORIES)
    ]
    scenario = tmp_path / "slow.json"
    scenario.write_text(
        json.dumps(
            {
                "latency": 0.15,
                "organizations": [{"login": "slow-org", "repositories": repositories}],
            }
        )
    )
    yield from _start_stack(
        scenario, WORKER_IN_PROCESS="false", JOB_STALLED_AFTER="4", INGEST_CONCURRENCY="2"
    )


def test_a_worker_killed_mid_job_leaves_the_job_to_another_that_completes_it(
    slow_stack: Stack,
) -> None:
    first_worker = slow_stack.wump("worker")
    queued = slow_stack.post("/api/v1/ingest/organizations/slow-org")
    assert queued.status_code == 202
    job_id = queued.json()["id"]
    slow_stack.job_when(job_id, lambda j: j["status"] == "running", 30)
    time.sleep(1.5)  # some repositories stored, others not yet

    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=10)
    assert slow_stack.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"

    slow_stack.wump("worker")
    job = slow_stack.job_when(job_id, lambda j: j["status"] in ("completed", "failed"), 90)

    assert job["status"] == "completed", job
    assert job["attempts"] == 2
    assert slow_stack.users("npm", "shared-lib") == [("slow-org", SLOW_REPOSITORIES)]
    repository = slow_stack.get("/api/v1/repositories/slow-org/service-3").json()
    declared = sorted((d["name"], d["manifest_path"]) for d in repository["dependencies"])
    assert declared == [("requests", "requirements.txt"), ("shared-lib", "package.json")]
