"""The watchdog stops a dead parent's embedded servers, and leaves those a new serve took over."""

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.watchdog import stop_orphans

# Holds the data directory's lock like a `wump serve` (flock on wump.lock), for argv[2] seconds.
_HOLDER = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def _default_signals() -> None:
    """A shell without job control starts background commands with SIGINT and SIGQUIT ignored,
    and an ignored signal stays ignored across exec: the stand-ins take them as the real servers
    do, which install handlers of their own."""
    for stop_signal in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(stop_signal, signal.SIG_DFL)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Stand-ins for the embedded servers: processes named postgres and valkey, recorded where
    the embedded ones record their pids."""
    started: dict[str, subprocess.Popen[bytes]] = {}
    for name, pid_file in (
        ("postgres", "postgres/postmaster.pid"),
        ("valkey", "valkey/valkey.pid"),
    ):
        program = tmp_path / "bin" / name
        program.parent.mkdir(exist_ok=True)
        program.symlink_to("/bin/sleep")
        started[name] = subprocess.Popen([str(program), "60"], preexec_fn=_default_signals)
        record = tmp_path / pid_file
        record.parent.mkdir()
        record.write_text(f"{started[name].pid}\n")
    yield started
    for process in started.values():
        process.kill()
        process.wait()


def _hold_lock(data_dir: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(data_dir / "wump.lock"), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def test_the_servers_are_stopped_once_the_dead_parents_lock_is_released(
    tmp_path: Path, servers: dict[str, subprocess.Popen[bytes]]
) -> None:
    # The parent's hold outlives the closing of the watchdog's stdin by a moment.
    holder = _hold_lock(tmp_path, 0.5)

    stop_orphans(tmp_path, lock_wait_s=10)

    holder.wait()
    assert [process.poll() is not None for process in servers.values()] == [True, True]


def test_the_servers_of_a_serve_that_holds_the_lock_are_left_running(
    tmp_path: Path, servers: dict[str, subprocess.Popen[bytes]]
) -> None:
    holder = _hold_lock(tmp_path, 30)
    try:
        stop_orphans(tmp_path, lock_wait_s=0.5)
    finally:
        holder.kill()
        holder.wait()

    assert [process.poll() for process in servers.values()] == [None, None]
