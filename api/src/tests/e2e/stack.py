"""A wump stack as an operator runs it for end-to-end tests: `wump dev fake-upstream`,
`wump serve` on embedded engines of its own, an API key, and more `wump` processes on demand."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.config import Settings
from app.core.db import resolve_database_url
from app.core.security import resolve_api_key_secret
from app.schemas.api_key import ApiKeyCreate
from app.services.api_key import ApiKeyService, KeyCache
from tests.conftest import free_port
from tests.e2e.local_http import local

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
        return local.get(self.base_url + path, headers=self.headers, timeout=_ANSWER_S)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return local.post(self.base_url + path, json=body, headers=self.headers, timeout=_ANSWER_S)

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
            local.get(url, timeout=5)
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


def _create_key(data_dir: Path, scopes: str) -> str:
    """An enterprise key on the database of the stack's `wump serve`, made in this process as
    `wump keys create` makes it (test_rate_limit_replicas.py runs that command; the stack's
    `wump worker` processes find the running server's database as every command does)."""
    settings = Settings(_env_file=None, wump_data_dir=data_dir, database_url=None, valkey_url=None)
    url = resolve_database_url(settings)
    assert url is not None, f"no running wump serve recorded in {data_dir}"
    request = ApiKeyCreate.model_validate(
        {"name": "e2e", "tier": "enterprise", "scopes": scopes.split(",")}
    )

    async def create() -> str:
        engine = create_async_engine(url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                secret = resolve_api_key_secret(settings)
                service = ApiKeyService(session, secret, settings, KeyCache(None, 300))
                created = await service.create(request, created_by="tests")
                await session.commit()
                return created.key
        finally:
            await engine.dispose()

    # A loop of its own in a thread of its own: the caller is a fixture of the tests' loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, create()).result()


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
            # No metrics port: `wump worker` would take the fixed default, which a worker of a
            # stack on another test worker may hold at the same moment (the second one exits).
            WORKER_METRICS_PORT="0",
            **settings,
        )
        stack = Stack(f"http://127.0.0.1:{api_port}", environment, {}, processes)
        fake = ["dev", "fake-upstream", "--port", str(upstream_port)]
        fake_upstream = stack.wump(*fake, *(["--scenario", str(scenario)] if scenario else []))
        server = stack.wump("serve", "--port", str(api_port))
        wait_until_answers(f"{upstream}/github/rate_limit", fake_upstream, 90)
        wait_until_answers(f"{stack.base_url}/health/live", server, 90)
        stack.headers["X-API-Key"] = _create_key(data_dir, scopes)
        yield stack
    finally:
        for process in reversed(processes):
            stop(process)
