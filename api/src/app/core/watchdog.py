"""Stops the embedded servers of a process that died without stopping them (SIGKILL, OOM)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import filelock
import psutil

# The line the parent sends when it stops its servers itself: the watchdog then just leaves.
_LEAVE = b"leave\n"
_POLL_S = 0.5
# A fast shutdown of PostgreSQL ends its sessions at once; past this wait it is told to quit.
_POSTGRES_STOP_S = 30.0
# The kernel closes a dying process's files one by one: the watchdog can hear its stdin pipe
# close before the parent's hold on the data directory's lock is gone. A new `wump serve` that
# took the servers over holds that lock for longer than this.
LOCK_WAIT_S = 10.0


class Watchdog:
    """A small process that waits for its parent to die, then stops the embedded servers
    recorded in the data directory. PostgreSQL and Valkey run detached (they daemonize), so
    no signal reaches them when their parent is killed; the watchdog notices the parent's end
    on its standard input (the pipe closes with the parent, on every platform) and, as a
    fallback, by polling for its parent."""

    def __init__(self, data_dir: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "app.core.watchdog", str(data_dir), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            # Its own session: a signal to the parent's process group does not end it too.
            start_new_session=True,
        )

    def dismiss(self) -> None:
        """The parent stops its servers itself: the watchdog leaves without touching them."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.write(_LEAVE)
                stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _parent_died(parent: int) -> bool:
    """Block until the parent dies (True) or dismisses the watchdog (False)."""
    heard: list[bytes] = []
    done = threading.Event()

    def listen() -> None:
        heard.append(sys.stdin.buffer.readline())
        done.set()

    threading.Thread(target=listen, daemon=True).start()
    while not done.wait(_POLL_S):
        if os.getppid() != parent:
            return True
    return heard[0] != _LEAVE


def _pid(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _stop(pid: int, name: str, stop_signal: int, wait_s: float) -> None:
    try:
        process = psutil.Process(pid)
        if name not in process.name():
            return
        process.send_signal(stop_signal)
        process.wait(timeout=wait_s)
    except psutil.TimeoutExpired:
        process.send_signal(signal.SIGQUIT)
    except psutil.Error:
        pass


def stop_orphans(data_dir: Path, lock_wait_s: float = LOCK_WAIT_S) -> None:
    """Stop the servers recorded in `data_dir`, unless another process holds its lock past
    `lock_wait_s` (a new `wump serve` already took them over)."""
    lock = filelock.FileLock(str(data_dir / "wump.lock"), timeout=lock_wait_s)
    try:
        lock.acquire()
    except filelock.Timeout:
        return
    try:
        # No process may find the servers through the dead parent's runtime file meanwhile.
        (data_dir / "runtime.json").unlink(missing_ok=True)
        _stop(_pid(data_dir / "valkey" / "valkey.pid"), "valkey", signal.SIGTERM, 10)
        # SIGINT is PostgreSQL's fast shutdown: sessions end, the data is checkpointed.
        postmaster = _pid(data_dir / "postgres" / "postmaster.pid")
        _stop(postmaster, "postgres", signal.SIGINT, _POSTGRES_STOP_S)
    finally:
        lock.release()


def main(data_dir: str, parent: str) -> None:
    # The terminal's Ctrl-C is for the parent, which then dismisses the watchdog.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _parent_died(int(parent)):
        started = time.monotonic()
        stop_orphans(Path(data_dir))
        seconds = time.monotonic() - started
        message = f"wump: process {parent} died; stopped its embedded servers in {seconds:.1f} s"
        print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
