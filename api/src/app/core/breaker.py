"""A circuit breaker for Valkey: after a failure every caller skips it for a cool-down."""

import time

from app.core.logging import get_logger

log = get_logger(__name__)


class CircuitBreaker:
    """Open after a failure for `cooldown` seconds; then one caller probes while the rest keep
    skipping, and its success closes the circuit again.

    Shared by everything that talks to one Valkey in a process (cache, rate limiter, key cache),
    so a stalled server costs one bounded wait per cool-down, not one per request and caller.
    """

    def __init__(self, name: str, cooldown: float) -> None:
        self.name = name
        self._cooldown = cooldown
        self._open_until: float | None = None

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def allow(self) -> bool:
        if self._open_until is None:
            return True
        now = time.monotonic()
        if now < self._open_until:
            return False
        # This caller probes; the others skip until it has an answer.
        self._open_until = now + self._cooldown
        return True

    def succeeded(self) -> None:
        if self._open_until is not None:
            self._open_until = None
            log.info("breaker.closed", dependency=self.name)

    def failed(self, error: BaseException) -> None:
        if self._open_until is None:
            log.warning(
                "breaker.opened",
                dependency=self.name,
                error=str(error) or type(error).__name__,
                cooldown_s=self._cooldown,
            )
        self._open_until = time.monotonic() + self._cooldown
