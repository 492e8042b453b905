"""Stopping the worker: a stop asked while procrastinate's worker starts ends it gracefully,
even where a cancellation would have been lost."""

import asyncio
import contextlib

import pytest

from app.jobs.worker import run_worker
from tests.jobs.conftest import HarnessFactory


async def test_a_stop_while_the_worker_registers_ends_it(
    harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await harness({"organizations": []})
    manager = h.queue.job_manager
    register = manager.register_worker
    registering = asyncio.Event()

    async def register_losing_a_cancellation() -> int:
        registering.set()
        # What asyncio.wait_for does on Python 3.11 when the call it awaits completes as a
        # cancellation lands (the pool's first connection, here): the result comes back and
        # the cancellation is gone.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.5)
        worker_id: int = await register()
        return worker_id

    monkeypatch.setattr(manager, "register_worker", register_losing_a_cancellation)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(h.runtime, stop))
    await registering.wait()

    stop.set()
    await asyncio.wait_for(worker, timeout=20)

    # Stopped through procrastinate's own shutdown, which unregisters the worker.
    assert await h.scalar("SELECT count(*) FROM procrastinate_workers") == 0
