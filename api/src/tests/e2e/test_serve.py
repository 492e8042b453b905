"""`wump serve` as a real process, read over a real socket."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.local_http import local

pytestmark = pytest.mark.e2e

_SCRUBBED = ("DATABASE_URL", "VALKEY_URL", "WUMP_DATA_DIR")


def _environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    environment.update(LOG_FORMAT="json", **extra)
    return environment


def _start(port: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(url: str, deadline_s: float, process: subprocess.Popen[bytes]) -> httpx.Response:
    # Deadlines are generous: the suite runs other tests' processes beside this one.
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"wump serve exited with {process.returncode}: {stderr[-2000:]}")
        try:
            return local.get(url, timeout=10)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {deadline_s} s")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="wump-e2e-"))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def test_serve_starts_embedded_servers_migrates_and_reports_healthy(data_dir: Path) -> None:
    port = free_port()
    environment = _environment(WUMP_DATA_DIR=str(data_dir))
    server = _start(port, environment)
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/health", 120, server)
        ready = local.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)

        assert health.status_code == 200
        assert health.json()["status"] == "healthy", health.json()
        assert ready.status_code == 200

        rival = subprocess.run(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())],
            env=environment,
            capture_output=True,
            timeout=60,
        )
        assert rival.returncode == 2
        assert b"is in use by another wump process" in rival.stderr
        assert len(rival.stderr.strip().splitlines()) == 1
    finally:
        exit_code = _stop(server)

    assert exit_code == 0
    # The embedded PostgreSQL stopped with its owner.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert (data_dir / "postgres" / "PG_VERSION").exists()


def test_serve_with_unreachable_urls_still_answers_health(closed_port: int) -> None:
    port = free_port()
    environment = _environment(
        DATABASE_URL=f"postgresql://wump@127.0.0.1:{closed_port}/wump",
        VALKEY_URL=f"valkey://127.0.0.1:{closed_port}",
        HEALTH_CHECK_TIMEOUT="1",
    )
    server = _start(port, environment)
    try:
        _wait_for(f"http://127.0.0.1:{port}/health/live", 120, server)
        started = time.monotonic()
        health = local.get(f"http://127.0.0.1:{port}/health", timeout=10)
        elapsed = time.monotonic() - started
        ready = local.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)
        live = local.get(f"http://127.0.0.1:{port}/health/live", timeout=10)
    finally:
        _stop(server)

    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert {c["status"] for c in health.json()["checks"].values()} == {"unhealthy"}
    assert elapsed < 1 + 1
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert live.status_code == 200
