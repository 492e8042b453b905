"""The `wump` processes of the end-to-end tests, with what they write to stderr kept in a file.

Never a pipe that nobody reads: a server logs a line per request, and once such a pipe holds
64 KiB the server's next write blocks. A worker blocked there answers nothing, not even SIGTERM.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.local_http import local


def start_wump(log: Path, environment: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`python -m app.cli ARGS`: stdout discarded, stderr appended to `log`."""
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def tail(log: Path, characters: int = 2000) -> str:
    """The end of what was written to `log` (empty when nothing was)."""
    try:
        return log.read_text(errors="replace")[-characters:]
    except FileNotFoundError:
        return ""


def wait_for(
    url: str, process: subprocess.Popen[bytes], log: Path, deadline_s: float = 120
) -> httpx.Response:
    """The first answer from `url`; fails with the end of the log if the process exits first.
    Deadlines are generous: the suite runs other tests' processes beside this one."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the process exited with {process.returncode}: {tail(log)}")
        try:
            return local.get(url, timeout=10)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {deadline_s} s: {tail(log)}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL after 30 s; the exit code."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
