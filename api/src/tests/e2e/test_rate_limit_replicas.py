"""Two real `wump serve` processes on one Valkey share each caller's limit; keys via `wump keys`."""

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import conftest
from tests.conftest import free_port
from tests.e2e.local_http import local
from tests.e2e.processes import start_wump, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("cache")]

_KEY_NAME = "e2e replicas"


@pytest.fixture
def environment(servers: conftest.TestServers, tmp_path: Path) -> dict[str, str]:
    scrubbed = {k: v for k, v in os.environ.items() if not k.startswith(("RATE_LIMIT_", "API_"))}
    return {
        **scrubbed,
        "ENVIRONMENT": "production",
        "API_KEY_SECRET": secrets.token_urlsafe(32),
        "DATABASE_URL": servers.database_url,
        "VALKEY_URL": servers.valkey_url,
        "WUMP_DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "RATE_LIMIT_ANONYMOUS": "4",
        # A timeout would make a replica count alone.
        "VALKEY_SOCKET_TIMEOUT": str(conftest.VALKEY_PATIENCE_S),
    }


@pytest.fixture
async def forget_keys(engine: AsyncEngine) -> AsyncIterator[None]:
    """The CLI commits for real; remove what it made so other tests see a clean table."""
    yield
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM api_keys WHERE name = :n"), {"n": _KEY_NAME})


def _wump(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Replicas:
    """Two `wump serve` processes; stop() ends them and returns what each wrote to stderr."""

    def __init__(self, environment: dict[str, str], logs: Path) -> None:
        ports = [free_port(), free_port()]
        self.urls = [f"http://127.0.0.1:{port}" for port in ports]
        self.logs = [logs / f"replica-{number}.log" for number in range(len(ports))]
        # One process each (production would start one per core): two processes on one Valkey
        # are what is shared, and every further one costs the run an application start.
        self.processes = [
            start_wump(log, environment, "serve", "--port", str(port), "--workers", "1")
            for log, port in zip(self.logs, ports, strict=True)
        ]

    def stop(self) -> list[str]:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return [log.read_text(errors="replace") for log in self.logs]


@pytest.fixture
def replicas(environment: dict[str, str], tmp_path: Path) -> Iterator[Replicas]:
    started = Replicas(environment, tmp_path)
    try:
        for url, process, log in zip(started.urls, started.processes, started.logs, strict=True):
            wait_for(f"{url}/health/live", process, log, deadline_s=180)
        yield started
    finally:
        started.stop()


@pytest.mark.usefixtures("forget_keys")
def test_two_replicas_share_limits_and_see_revocation(
    environment: dict[str, str], replicas: Replicas
) -> None:
    urls = replicas.urls
    created = _wump(
        environment,
        "keys",
        "create",
        "--name",
        _KEY_NAME,
        "--rate-limit",
        "5",
        "--expires-in",
        "1d",
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert "not shown again" in created.stderr
    listed = _wump(environment, "keys", "list", "--json")
    mine = [json.loads(line) for line in listed.stdout.splitlines()]
    key_id = next(item["id"] for item in mine if item["name"] == _KEY_NAME)

    auth = {"X-API-Key": key}
    keyed = [local.get(f"{urls[i % 2]}/api/v1/me", headers=auth, timeout=10) for i in range(7)]
    anonymous = [local.get(f"{urls[i % 2]}/api/v1/me", timeout=10) for i in range(6)]
    health = [local.get(f"{url}/health/live", timeout=10) for url in urls]

    revoked = _wump(environment, "keys", "revoke", key_id)
    after_revoke = [local.get(f"{url}/api/v1/me", headers=auth, timeout=10) for url in urls]
    listed_all = _wump(environment, "keys", "list", "--all")
    logs = replicas.stop()

    # Both replicas count against one budget of 5 for the key and 4 for the address.
    assert [r.status_code for r in keyed] == [200] * 5 + [429] * 2
    assert [r.headers["x-ratelimit-remaining"] for r in keyed] == [
        "4",
        "3",
        "2",
        "1",
        "0",
        "0",
        "0",
    ]
    assert keyed[0].headers["ratelimit-policy"] == '"free";q=5;w=60'
    assert keyed[5].headers["retry-after"] == keyed[5].headers["ratelimit"].rpartition("t=")[2]
    assert keyed[5].json()["code"] == "rate_limited"
    assert [r.status_code for r in anonymous] == [200] * 4 + [429] * 2
    assert all(r.status_code == 200 and "ratelimit" not in r.headers for r in health)
    assert revoked.returncode == 0, revoked.stderr
    assert [r.status_code for r in after_revoke] == [401, 401]
    assert "revoked" in listed_all.stdout
    assert key[:13] in listed_all.stdout

    # Replicas stopped: nothing either one logged, at DEBUG, carries the key.
    assert len(logs) == 2
    assert all("http.request" in log for log in logs)
    for log in logs:
        for start in range(13, len(key) - 10):
            assert key[start : start + 10] not in log
