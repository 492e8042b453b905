"""`wump serve` keeps its embedded servers running and stops them with itself."""

import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port
from tests.e2e.local_http import local
from tests.e2e.processes import start_wump, stop, wait_for
from tests.e2e.test_serve import _environment

pytestmark = pytest.mark.e2e


def _valkey_pid(data_dir: Path) -> int:
    try:
        return int((data_dir / "valkey" / "valkey.pid").read_text().strip())
    except (OSError, ValueError):
        return 0


def _cache_status(base: str) -> str:
    try:
        health = local.get(f"{base}/health", timeout=10).json()
    except (httpx.TransportError, ValueError):
        return "unreachable"
    return str(health["checks"]["cache"]["status"])


def test_a_killed_embedded_valkey_is_restarted_and_stopped_with_serve(
    migrated_data_dir: Path, tmp_path: Path
) -> None:
    data_dir = migrated_data_dir
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = _environment(WUMP_DATA_DIR=str(data_dir), VALKEY_BREAKER_COOLDOWN="1")
    log = tmp_path / "serve.log"
    server = start_wump(log, environment, "serve", "--port", str(port))
    try:
        wait_for(f"{base}/health/ready", server, log)
        first = _valkey_pid(data_dir)
        assert first
        os.kill(first, signal.SIGKILL)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            second = _valkey_pid(data_dir)
            if second not in (0, first) and _cache_status(base) == "healthy":
                break
            time.sleep(0.5)
        else:
            pytest.fail("the embedded Valkey was not restarted within 120 s")
        ready = local.get(f"{base}/health/ready", timeout=10)
    finally:
        exit_code = stop(server)

    assert ready.status_code == 200
    assert exit_code == 0
    assert not psutil.pid_exists(second) or psutil.Process(second).status() == "zombie"


def _postmaster_pid(data_dir: Path) -> int:
    try:
        return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_embedded_servers_of_a_killed_serve_stop_without_a_next_start(
    migrated_data_dir: Path, tmp_path: Path
) -> None:
    data_dir = migrated_data_dir
    port = free_port()
    log = tmp_path / "serve.log"
    environment = _environment(WUMP_DATA_DIR=str(data_dir))
    server = start_wump(log, environment, "serve", "--port", str(port))
    try:
        wait_for(f"http://127.0.0.1:{port}/health/ready", server, log)
        postgres, valkey = _postmaster_pid(data_dir), _valkey_pid(data_dir)
        assert [bool(postgres), bool(valkey)] == [True, True]
        assert [_gone(postgres), _gone(valkey)] == [False, False]

        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 120
        runtime = data_dir / "runtime.json"
        while time.monotonic() < deadline and not (
            _gone(postgres) and _gone(valkey) and not runtime.exists()
        ):
            time.sleep(0.2)
    finally:
        if server.poll() is None:
            server.kill()
        for pid in (_postmaster_pid(data_dir), _valkey_pid(data_dir)):
            # Whatever the outcome, nothing of this test keeps running.
            if pid and not _gone(pid):
                os.kill(pid, signal.SIGKILL)

    assert _gone(postgres), "PostgreSQL outlived the killed wump serve"
    assert _gone(valkey), "Valkey outlived the killed wump serve"
    assert not (data_dir / "runtime.json").exists()
