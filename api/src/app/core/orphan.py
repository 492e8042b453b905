"""Ends a process `wump serve` started (a worker, the reloader's child) once `wump serve` is gone:
children outlive a SIGKILLed or OOM-killed parent, and an orphaned worker would keep the port and
answer requests with nothing left to stop it."""

import os
import signal
import threading
import time

from app.core.logging import get_logger

log = get_logger(__name__)

# Set by `wump serve` for the processes it starts: its own pid.
SERVE_PID_ENV = "WUMP_SERVE_PID"
_POLL_S = 0.5


def watch_parent() -> threading.Thread | None:
    """In a child of `wump serve`, a daemon thread that asks this process to stop (SIGTERM: the
    graceful shutdown, lifespan included) once its parent has died; None in any other process.
    A child whose parent died while it was starting is asked to stop at once."""
    raw = os.environ.get(SERVE_PID_ENV, "")
    if not raw.isdigit():
        return None
    parent = int(raw)
    if parent == os.getpid():
        return None
    # `wump serve` starts its workers itself, so a process it started that is no longer its
    # child was re-parented: the serve died before this process got here.
    if os.getppid() != parent:
        _stop(parent)
        return None
    thread = threading.Thread(target=_watch, args=(parent,), name="wump-parent", daemon=True)
    thread.start()
    return thread


def _watch(parent: int) -> None:
    # An orphan is re-parented (to init or a subreaper), so its parent pid changes: portable,
    # and no signal from the dead parent is needed.
    while os.getppid() == parent:
        time.sleep(_POLL_S)
    _stop(parent)


def _stop(parent: int) -> None:
    log.warning("serve.parent_died", parent=parent)
    os.kill(os.getpid(), signal.SIGTERM)
