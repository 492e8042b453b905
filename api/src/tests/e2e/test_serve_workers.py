"""`wump serve --workers 2` killed with SIGKILL: its workers stop too and free the port."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from app.core.orphan import SERVE_PID_ENV
from tests.conftest import free_port
from tests.e2e.processes import start_wump, wait_for
from tests.e2e.test_metrics_processes import environment

pytestmark = pytest.mark.e2e

__all__ = ["environment"]


def _answers(port: int) -> bool:
    with socket.socket() as client:
        client.settimeout(1)
        return client.connect_ex(("127.0.0.1", port)) == 0


def _gone(process: psutil.Process) -> bool:
    # An exited orphan stays a zombie until whoever adopted it reaps it: it runs no more.
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_until_gone(workers: list[psutil.Process]) -> list[psutil.Process]:
    """The workers still alive after a generous wait: a worker still importing the app on a
    loaded machine notices only after."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(_gone(child) for child in workers):
        time.sleep(0.2)
    return [child for child in workers if not _gone(child)]


def _workers(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    # uvicorn starts each worker with multiprocessing's spawn; the resource tracker is not one.
    return [
        child
        for child in psutil.Process(server.pid).children()
        if "spawn_main" in " ".join(child.cmdline())
    ]


def test_the_workers_of_a_killed_serve_stop_and_free_the_port(
    environment: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    server = start_wump(log, environment, "serve", "--port", str(port), "--workers", "2")
    workers: list[psutil.Process] = []
    try:
        wait_for(f"http://127.0.0.1:{port}/health/live", server, log)
        workers = _workers(server)
        assert len(workers) == 2, [child.cmdline() for child in workers]
        assert all(child.environ().get(SERVE_PID_ENV) == str(server.pid) for child in workers)

        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        alive = _wait_until_gone(workers)
        port_answers = _answers(port)
    finally:
        for child in workers:
            if not _gone(child):
                child.kill()

    assert alive == [], f"{len(alive)} workers outlived the killed wump serve"
    assert not port_answers


def test_workers_still_starting_when_their_serve_is_killed_stop_too(
    environment: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    server = start_wump(
        tmp_path / "serve.log", environment, "serve", "--port", str(port), "--workers", "2"
    )
    workers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _workers(server)
            time.sleep(0.05)
        assert len(workers) == 2, [child.cmdline() for child in workers]
        # Killed as its workers appear: they are still importing the app, and find themselves
        # orphaned only when they start.
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        alive = _wait_until_gone(workers)
    finally:
        for child in workers:
            if not _gone(child):
                child.kill()

    assert alive == [], f"{len(alive)} workers outlived the killed wump serve"
