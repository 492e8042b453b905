"""`wump serve` as a real process, read over a real socket."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.e2e.local_http import local
from tests.e2e.processes import start_wump, stop, wait_for

pytestmark = pytest.mark.e2e

_SCRUBBED = ("DATABASE_URL", "VALKEY_URL", "WUMP_DATA_DIR")


def _environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    environment.update(LOG_FORMAT="json", **extra)
    return environment


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="wump-e2e-"))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def test_serve_starts_embedded_servers_migrates_and_reports_healthy(
    data_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    environment = _environment(WUMP_DATA_DIR=str(data_dir))
    log = tmp_path / "serve.log"
    server = start_wump(log, environment, "serve", "--port", str(port))
    try:
        health = wait_for(f"http://127.0.0.1:{port}/health", server, log)
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
        exit_code = stop(server)

    assert exit_code == 0
    # The embedded PostgreSQL stopped with its owner.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert (data_dir / "postgres" / "PG_VERSION").exists()


def test_serve_with_unreachable_urls_still_answers_health(closed_port: int, tmp_path: Path) -> None:
    port = free_port()
    environment = _environment(
        DATABASE_URL=f"postgresql://wump@127.0.0.1:{closed_port}/wump",
        VALKEY_URL=f"valkey://127.0.0.1:{closed_port}",
        HEALTH_CHECK_TIMEOUT="1",
    )
    log = tmp_path / "serve.log"
    server = start_wump(log, environment, "serve", "--port", str(port))
    try:
        wait_for(f"http://127.0.0.1:{port}/health/live", server, log)
        started = time.monotonic()
        health = local.get(f"http://127.0.0.1:{port}/health", timeout=10)
        elapsed = time.monotonic() - started
        ready = local.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)
        live = local.get(f"http://127.0.0.1:{port}/health/live", timeout=10)
    finally:
        stop(server)

    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert {c["status"] for c in health.json()["checks"].values()} == {"unhealthy"}
    assert elapsed < 1 + 1
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert live.status_code == 200
