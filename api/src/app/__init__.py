"""wump: which organizations use a package.

Importing it defers the process's first cyclic garbage collection (see collect_after_start):
in a `wump` command, and in each worker `wump serve --workers N` starts, which imports the
application on its own.
"""

import gc
from typing import Any

# Net allocations before the first cyclic garbage collection of a process.
START_ALLOCATIONS = 1_000_000


def collect_after_start() -> None:
    """Starting imports what the process needs (for the API, the whole application: some
    300,000 objects, nearly none of them garbage), and the cyclic collector, run every 700 net
    allocations, walks that growing heap hundreds of times: about a tenth of a start's CPU. The
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


collect_after_start()
