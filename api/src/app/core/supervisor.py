"""Keeps the embedded servers of `wump serve` running: restarts one that exits, with backoff."""

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from app.core.logging import get_logger

log = get_logger(__name__)


class Supervised(Protocol):
    def is_running(self) -> bool: ...

    def restart(self) -> None: ...


@dataclass
class _Watch:
    name: str
    server: Supervised
    backoff: float
    next_attempt: float = 0.0
    healthy_since: float = 0.0


class Supervisor:
    """A daemon thread that checks each server every `interval` seconds. A server found dead is
    restarted at once, then after 1, 2, 4 ... seconds (at most `max_backoff`) while restarts
    keep failing or dying; a minute of health resets the backoff."""

    def __init__(
        self, servers: dict[str, Supervised], *, interval: float = 1.0, max_backoff: float = 30.0
    ) -> None:
        self._watches = [_Watch(name, server, 0.0) for name, server in servers.items()]
        self._interval = interval
        self._max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wump-supervisor", daemon=True)

    def start(self) -> None:
        now = time.monotonic()
        for watch in self._watches:
            watch.healthy_since = now
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the servers are stopped, so none is restarted meanwhile)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for watch in self._watches:
                self._check(watch)

    def _check(self, watch: _Watch) -> None:
        now = time.monotonic()
        if watch.server.is_running():
            if now - watch.healthy_since >= 60:
                watch.backoff = 0.0
            return
        if now < watch.next_attempt or self._stop.is_set():
            return
        log.warning("embedded.server.exited", server=watch.name, backoff_s=watch.backoff)
        try:
            watch.server.restart()
        except Exception as error:
            log.error("embedded.server.restart_failed", server=watch.name, error=str(error))
        else:
            log.info("embedded.server.restarted", server=watch.name)
        watch.healthy_since = time.monotonic()
        watch.backoff = min(self._max_backoff, max(1.0, watch.backoff * 2))
        watch.next_attempt = watch.healthy_since + watch.backoff
