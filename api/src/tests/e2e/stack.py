"""A wump stack as an operator runs it for end-to-end tests: `wump dev fake-upstream`,
`wump serve` on embedded engines of its own, an API key, and more `wump` processes on demand."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

_SCRUBBED = ("DATABASE_URL", "VALKEY_URL", "WUMP_DATA_DIR", "WORKER_IN_PROCESS")
# Generous: the suite runs these beside other tests, and a process just started is busy importing.
_ANSWER_S = 30


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
        return httpx.get(self.base_url + path, headers=self.headers, timeout=_ANSWER_S)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return httpx.post(self.base_url + path, json=body, headers=self.headers, timeout=_ANSWER_S)

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


def wait_until_answers(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
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


def stop(process: subprocess.Popen[bytes]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def start_stack(
    scenario: Path | None, data_dir: Path, *, scopes: str = "read,ingest", **settings: str
) -> Iterator[Stack]:
    """The stack on `data_dir` (the `migrated_data_dir` fixture: its database migrated)."""
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
        wait_until_answers(f"{upstream}/github/rate_limit", fake_upstream, 90)
        wait_until_answers(f"{stack.base_url}/health/live", server, 90)
        created = subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "keys",
                "create",
                "--name",
                "e2e",
                "--scopes",
                scopes,
                "--tier",
                "enterprise",
            ],
            env=environment,
            capture_output=True,
            timeout=60,
            check=True,
        )
        stack.headers["X-API-Key"] = created.stdout.decode().split()[-1]
        yield stack
    finally:
        for process in reversed(processes):
            stop(process)
