"""Running the queue's worker: in `wump worker`, or inside `wump serve`'s processes."""

import asyncio
import os
import socket

from procrastinate.jobs import DeleteJobCondition

from app.core.logging import get_logger
from app.jobs.runtime import JobRuntime
from app.jobs.tasks import RUNTIME_KEY, register
from app.services.jobs import INGEST_ORGANIZATION

log = get_logger(__name__)

RESTART_DELAY_MAX_S = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(runtime: JobRuntime, *, install_signal_handlers: bool) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM when `install_signal_handlers`, or cancellation);
    a worker that crashes (its database went away) is started again after a growing delay."""
    settings = runtime.settings
    queue = runtime.queue
    if INGEST_ORGANIZATION not in queue.tasks:  # procrastinate's built-in tasks are there
        register(queue, settings.job_stalled_after)
    delay = 1.0
    while True:
        try:
            await queue.run_worker_async(
                name=worker_name(),
                concurrency=settings.worker_concurrency,
                additional_context={RUNTIME_KEY: runtime},
                delete_jobs=DeleteJobCondition.SUCCESSFUL,
                update_heartbeat_interval=max(1.0, settings.job_stalled_after / 6),
                stalled_worker_timeout=settings.job_stalled_after,
                install_signal_handlers=install_signal_handlers,
                shutdown_graceful_timeout=30.0,
            )
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("worker.crashed", error=repr(error), restart_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_DELAY_MAX_S)
