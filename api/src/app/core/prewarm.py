"""PostgreSQL's autoprewarm, on an embedded server, at the lowest CPU and I/O priority."""

import threading
import time
from pathlib import Path

import psutil

from app.core.logging import get_logger

log = get_logger(__name__)

# What pg_prewarm wrote at the last stop: the pages its buffers held, reloaded at start.
DUMP_FILE = "autoprewarm.blocks"
# A large dump takes tens of seconds to reload; the processes are looked for until then.
WATCH_S = 120.0
# The leader starts its workers right after the server; none by then means nothing to reload.
START_S = 10.0
_POLL_S = 0.5
_BETWEEN_WORKERS_S = 2.0
_NAME = "autoprewarm"


def lower_prewarm_priority(pgdata: Path, postmaster_pid: int) -> threading.Thread | None:
    """Watches the server's processes in a daemon thread and gives pg_prewarm's (its leader,
    and the workers that reload each database's pages) the lowest CPU and I/O priority.

    After a start the workers read back every page the buffers held at the last stop: about
    15 s for 6 GB, on the same cores as the first requests, which otherwise wait behind them.
    At the lowest priority they use only what the requests leave idle. None when there is
    nothing to reload."""
    if not (pgdata / DUMP_FILE).exists():
        return None
    thread = threading.Thread(
        target=_watch, args=(postmaster_pid,), name="wump-prewarm-priority", daemon=True
    )
    thread.start()
    return thread


def _watch(postmaster_pid: int) -> None:
    started = time.monotonic()
    lowered: set[int] = set()
    last_worker: float | None = None
    try:
        postmaster = psutil.Process(postmaster_pid)
        while time.monotonic() - started < WATCH_S:
            found = {pid: _title(pid) for pid in _children(postmaster)}
            prewarm = {pid: title for pid, title in found.items() if _NAME in title}
            for pid, title in prewarm.items():
                if pid not in lowered and _lower(pid, title):
                    lowered.add(pid)
            now = time.monotonic()
            if any("worker" in title for title in prewarm.values()):
                last_worker = now
            # The leader stays for its periodic dumps. The reload is over once no worker (one
            # per database, one after the other) has run for a while, or when none started
            # soon after the server.
            if (last_worker is None and now - started > START_S) or (
                last_worker is not None and now - last_worker > _BETWEEN_WORKERS_S
            ):
                return
            time.sleep(_POLL_S)
    except psutil.Error:
        return  # the server stopped meanwhile


def _children(process: psutil.Process) -> list[int]:
    """The process's children: on Linux from the kernel's list of them, a tenth of the cost of
    psutil's scan of every process (this runs in the server's process, beside its requests)."""
    try:
        return [
            int(pid)
            for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        ]
    except OSError:
        return [child.pid for child in process.children()]


def _title(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline()).strip()
    except psutil.Error:
        return ""


def _lower(pid: int, title: str) -> bool:
    try:
        process = psutil.Process(pid)
        process.nice(19)
        if hasattr(psutil, "IOPRIO_CLASS_IDLE"):  # Linux
            process.ionice(psutil.IOPRIO_CLASS_IDLE)
    except psutil.Error as error:
        log.warning("embedded.prewarm.priority_failed", pid=pid, error=str(error))
        return False
    log.info("embedded.prewarm.lowered", pid=pid, process=title)
    return True
