"""Webhook and usage-event jobs: one delivery per job, the dispatcher that queues them, and
the retention sweep of old events."""

import uuid
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate import JobContext

from app.core.logging import get_logger
from app.jobs.runtime import JobRuntime
from app.jobs.tasks import FollowTaskDecision, RetryLater, runtime_of
from app.services.usage_event import prune_usage_events

log = get_logger(__name__)

DELIVER_WEBHOOK = "deliver_webhook"
DISPATCH_WEBHOOKS = "dispatch_webhooks"
PRUNE_USAGE_EVENTS = "prune_usage_events"
# Deliveries queued per dispatcher run; the next run takes the rest.
DISPATCH_BATCH = 500


async def deliver_webhook(context: JobContext, delivery_id: str) -> dict[str, Any]:
    """One attempt; a failed one is rescheduled by the queue at the delivery's backoff, as the
    same job, so every attempt carries the same `webhook-id` (and one that found another
    attempt in flight, when that attempt's claim runs out)."""
    outcome = await runtime_of(context).webhooks.deliver(uuid.UUID(delivery_id))
    if outcome.retry_at is not None:
        reason = outcome.result.error if outcome.result else "another attempt is in flight"
        raise RetryLater(outcome.retry_at, reason or "failed")
    return {"status": outcome.status}


async def dispatch_webhooks(context: JobContext, timestamp: int) -> dict[str, int]:
    return await queue_deliveries(runtime_of(context))


async def queue_deliveries(runtime: JobRuntime) -> dict[str, int]:
    """Defer a job for each delivery an ingest (or a ping) wrote and no job carries yet. The
    job is deferred before the delivery is marked, so a crash between the two duplicates a
    job (the delivery runs once: a done delivery is skipped) rather than losing one."""
    ids = await runtime.webhooks.claim_unqueued(DISPATCH_BATCH)
    for delivery_id in ids:
        await runtime.queue.configure_task(name=DELIVER_WEBHOOK).defer_async(
            delivery_id=str(delivery_id)
        )
    await runtime.webhooks.mark_queued(ids)
    return {"queued": len(ids)}


async def prune_events(context: JobContext, timestamp: int) -> dict[str, int]:
    runtime = runtime_of(context)
    pruned = await prune_usage_events(runtime.session_factory, runtime.settings, datetime.now(UTC))
    if pruned:
        log.info("usage_events.pruned", count=pruned)
    return {"pruned": pruned}


def register_webhooks(app: procrastinate.App) -> None:
    app.task(name=DELIVER_WEBHOOK, pass_context=True, retry=FollowTaskDecision())(deliver_webhook)
    app.periodic(cron="* * * * * */5")(
        app.task(name=DISPATCH_WEBHOOKS, pass_context=True)(dispatch_webhooks)
    )
    app.periodic(cron="41 * * * *")(
        app.task(name=PRUNE_USAGE_EVENTS, pass_context=True)(prune_events)
    )
