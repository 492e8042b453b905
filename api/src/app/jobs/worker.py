"""Running the queue's worker: in `wump worker`, or inside `wump serve`'s processes."""

import asyncio
import contextlib
import os
import socket

from procrastinate.jobs import DeleteJobCondition

from app.core.logging import get_logger
from app.jobs.runtime import JobRuntime
from app.jobs.tasks import RUNTIME_KEY, register
from app.jobs.webhooks import register_webhooks
from app.services.jobs import INGEST_ORGANIZATION

log = get_logger(__name__)

RESTART_DELAY_MAX_S = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(runtime: JobRuntime, stop: asyncio.Event) -> None:
    """Run jobs until `stop` is set, then let the running ones finish (up to a timeout).

    procrastinate's worker stops by itself when a side task fails (its database connection
    for notifications, say, during a restart); it is started again after a growing delay, so a
    database outage never leaves a process without a worker.
    """
    settings = runtime.settings
    queue = runtime.queue
    if INGEST_ORGANIZATION not in queue.tasks:  # procrastinate's built-in tasks are there
        register(queue, settings.job_stalled_after)
        register_webhooks(queue)
    delay = 1.0
    while not stop.is_set():
        worker = asyncio.create_task(
            queue.run_worker_async(
                name=worker_name(),
                concurrency=settings.worker_concurrency,
                additional_context={RUNTIME_KEY: runtime},
                delete_jobs=DeleteJobCondition.SUCCESSFUL,
                update_heartbeat_interval=max(1.0, settings.job_stalled_after / 6),
                stalled_worker_timeout=settings.job_stalled_after,
                install_signal_handlers=False,
                shutdown_graceful_timeout=settings.worker_shutdown_grace,
            ),
            name="procrastinate-worker",
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not worker.done():
                worker.cancel()  # procrastinate's graceful stop: running jobs finish first
            stopping.cancel()
            outcome = await asyncio.gather(worker, stopping, return_exceptions=True)
        if stop.is_set():
            return
        log.error("worker.stopped_unexpectedly", error=repr(outcome[0]), restart_in_s=delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 2, RESTART_DELAY_MAX_S)
