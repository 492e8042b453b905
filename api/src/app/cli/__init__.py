"""The `wump` command: one Typer application, one module per command group."""

import gc
from typing import Any

from app.cli import dev as _dev  # noqa: F401  (registers commands)
from app.cli import fake_upstream as _fake_upstream  # noqa: F401  (registers commands)
from app.cli import jobs as _jobs  # noqa: F401  (registers commands)
from app.cli import keys as _keys  # noqa: F401  (registers commands)
from app.cli import manifests as _manifests  # noqa: F401  (registers commands)
from app.cli import server as _server  # noqa: F401  (registers commands)
from app.cli import webhooks as _webhooks  # noqa: F401  (registers commands)
from app.cli.root import cli

# Net allocations before the first cyclic garbage collection of a command (see main).
START_ALLOCATIONS = 1_000_000


def collect_after_start() -> None:
    """Starting a command imports what it needs (for `serve`, the whole application: some
    300,000 objects, nearly none of them garbage), and the cyclic collector, run every 700 net
    allocations, walks that growing heap hundreds of times, a sixth of the start's CPU. The
    first collection waits for a million allocations instead; from its end on, the usual
    thresholds apply again."""
    usual = gc.get_threshold()
    pending = [True]

    def restore(phase: str, info: dict[str, Any]) -> None:
        # Left registered: removing a callback while the collector runs the list skips the
        # one after it.
        if phase == "stop" and pending:
            pending.clear()
            gc.set_threshold(*usual)

    gc.callbacks.append(restore)
    gc.set_threshold(START_ALLOCATIONS, *usual[1:])


def main() -> None:
    collect_after_start()
    cli()


__all__ = ["cli", "main"]
