"""Webhooks through the queue: an ingest job's events become deliveries in its transaction,
the dispatcher queues them, and a worker delivers them signed; old events are pruned."""

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.jobs.webhooks import PRUNE_USAGE_EVENTS, queue_deliveries, register_webhooks
from app.providers.fake_upstream import DEMO_SCENARIO, load_scenario
from app.schemas.webhook import WebhookCreate
from app.services.jobs import organization_job
from app.services.webhook import WebhookService
from tests.jobs.conftest import HarnessFactory
from tests.services.webhooks.conftest import Receiver, verify


async def test_an_ingest_jobs_events_are_delivered_by_the_worker(
    harness: HarnessFactory, receiver: Receiver
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO), webhook_allow_private_addresses=True)
    async with h.runtime.session_factory() as session, session.begin():
        request = WebhookCreate(url=receiver.url, purls=["pkg:npm/left-pad"], include_initial=True)
        hook = await WebhookService(session, h.settings).create(request, created_by="test")
    await h.runtime.jobs.enqueue(organization_job("octo-org"))
    await h.run_jobs()
    pending = await h.scalar("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
    # Registered after the ingest's run: a worker with the dispatcher's periodic task defers
    # it on start, and it could queue the delivery before the calls below, whatever the timing.
    register_webhooks(h.queue)

    assert await queue_deliveries(h.runtime) == {"queued": 1}
    assert await queue_deliveries(h.runtime) == {"queued": 0}
    await h.run_jobs()

    assert pending == 1
    (received,) = receiver.requests
    verify(hook.secret, received)
    body = json.loads(received.body)
    assert (body["type"], body["data"]["organization"], body["data"]["initial"]) == (
        "usage_event.started",
        "octo-org",
        True,
    )
    assert await h.scalar("SELECT status FROM webhook_deliveries") == "delivered"


async def test_events_older_than_the_retention_are_pruned(harness: HarnessFactory) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO), usage_events_retention_days=30)
    await h.runtime.jobs.enqueue(organization_job("octo-org"))
    await h.run_jobs()
    total = await h.scalar("SELECT count(*) FROM usage_events")
    async with h.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE usage_events SET occurred_at = :old"
                " WHERE id IN (SELECT id FROM usage_events ORDER BY id LIMIT 2)"
            ),
            {"old": datetime.now(UTC) - timedelta(days=31)},
        )

    register_webhooks(h.queue)

    await h.queue.configure_task(name=PRUNE_USAGE_EVENTS).defer_async(timestamp=0)
    await h.run_jobs()

    assert total >= 3
    assert await h.scalar("SELECT count(*) FROM usage_events") == total - 2
