"""Running the queue's worker: in `wump worker`, or inside `wump serve`'s processes."""

import asyncio
import contextlib
import os
import socket

from procrastinate.jobs import DeleteJobCondition
from procrastinate.worker import Worker

from app.core.logging import get_logger
from app.jobs.runtime import JobRuntime
from app.jobs.tasks import RUNTIME_KEY, register
from app.jobs.webhooks import register_webhooks
from app.services.jobs import INGEST_ORGANIZATION

log = get_logger(__name__)

RESTART_DELAY_MAX_S = 60.0
# How often a stop is asked of the worker again until it ends (see run_worker).
STOP_REPEAT_S = 1.0


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
        worker = Worker(
            app=queue,
            name=worker_name(),
            concurrency=settings.worker_concurrency,
            additional_context={RUNTIME_KEY: runtime},
            delete_jobs=DeleteJobCondition.SUCCESSFUL,
            update_heartbeat_interval=max(1.0, settings.job_stalled_after / 6),
            stalled_worker_timeout=settings.job_stalled_after,
            install_signal_handlers=False,
            shutdown_graceful_timeout=settings.worker_shutdown_grace,
        )
        running = asyncio.create_task(worker.run(), name="procrastinate-worker")  # type: ignore[no-untyped-call]
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            # procrastinate's graceful stop (no new job; the running ones finish, up to the
            # grace), asked through Worker.stop rather than by cancelling the task: on Python
            # 3.11, a cancellation that lands as the worker's first database connection arrives
            # is lost inside asyncio.wait_for (fixed in 3.12), and the worker then ran on. A stop
            # asked before run() begins is cleared by it: asked again until the worker ends.
            while not running.done():
                worker.stop()  # type: ignore[no-untyped-call]
                await asyncio.wait({running}, timeout=STOP_REPEAT_S)
            outcome = await asyncio.gather(running, stopping, return_exceptions=True)
        if stop.is_set():
            return
        log.error("worker.stopped_unexpectedly", error=repr(outcome[0]), restart_in_s=delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 2, RESTART_DELAY_MAX_S)
