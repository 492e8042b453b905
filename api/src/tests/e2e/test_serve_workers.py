"""`wump serve --workers 2` killed with SIGKILL: its workers stop too and free the port."""

import os
import signal
import socket

import psutil
import pytest

from app.core.orphan import SERVE_PID_ENV
from tests.conftest import free_port
from tests.e2e.test_metrics_processes import _start, _wait_for, environment

pytestmark = pytest.mark.e2e

__all__ = ["environment"]


def _answers(port: int) -> bool:
    with socket.socket() as client:
        client.settimeout(1)
        return client.connect_ex(("127.0.0.1", port)) == 0


def test_the_workers_of_a_killed_serve_stop_and_free_the_port(environment: dict[str, str]) -> None:
    port = free_port()
    server = _start(environment, "serve", "--port", str(port), "--workers", "2")
    workers: list[psutil.Process] = []
    try:
        _wait_for(f"http://127.0.0.1:{port}/health/live", server)
        # uvicorn starts each worker with multiprocessing's spawn; the resource tracker is not one.
        workers = [
            child
            for child in psutil.Process(server.pid).children()
            if "spawn_main" in " ".join(child.cmdline())
        ]
        assert len(workers) == 2, [child.cmdline() for child in workers]
        assert all(child.environ().get(SERVE_PID_ENV) == str(server.pid) for child in workers)

        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        _, alive = psutil.wait_procs(workers, timeout=30)
        port_answers = _answers(port)
    finally:
        for child in workers:
            if child.is_running():
                child.kill()

    assert alive == [], f"{len(alive)} workers outlived the killed wump serve"
    assert not port_answers
