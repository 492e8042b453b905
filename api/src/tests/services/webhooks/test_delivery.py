"""Webhook deliveries: signed per Standard Webhooks, retried, refused on private addresses,
and delivered again with the same id after an interrupted attempt."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Webhook, WebhookAttempt, WebhookDelivery
from app.services.webhook import RETRY_DELAYS, queue_event_deliveries
from tests.services.webhooks.conftest import (
    DelivererFactory,
    Receiver,
    start_using_left_pad,
    subscribe,
    verify,
)


async def deliveries(session: AsyncSession) -> list[WebhookDelivery]:
    result = await session.execute(
        select(WebhookDelivery)
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def attempts(session: AsyncSession) -> list[WebhookAttempt]:
    result = await session.execute(select(WebhookAttempt).order_by(WebhookAttempt.attempted_at))
    return list(result.scalars())


async def test_an_event_is_delivered_signed_to_a_local_receiver(
    session: AsyncSession, hook_settings: Settings, receiver: Receiver, deliverer: DelivererFactory
) -> None:
    hook = await subscribe(session, hook_settings, receiver.url)
    events = await start_using_left_pad(session)
    assert await queue_event_deliveries(session, events) == 1
    (delivery,) = await deliveries(session)

    outcome = await deliverer(hook_settings).deliver(delivery.id)

    assert outcome.status == "delivered"
    (received,) = receiver.requests
    verify(hook.secret, received)
    assert received.headers["webhook-id"] == str(delivery.id)
    assert received.headers["content-type"] == "application/json"
    body = json.loads(received.body)
    assert body["type"] == "usage_event.started"
    assert (body["data"]["package"], body["data"]["type"]) == ("left-pad", "started")
    assert body["data"]["id"] == str(events[0])


async def test_a_receiver_failing_three_times_gets_it_once_after_four_attempts(
    session: AsyncSession, hook_settings: Settings, receiver: Receiver, deliverer: DelivererFactory
) -> None:
    receiver.statuses = [500, 503, 502, 200]
    await subscribe(session, hook_settings, receiver.url)
    await queue_event_deliveries(session, await start_using_left_pad(session))
    (delivery,) = await deliveries(session)
    send = deliverer(hook_settings)

    outcomes = [await send.deliver(delivery.id) for _ in range(5)]

    # Each failure asks for a retry after the next backoff step; the fifth call finds it done.
    assert [o.status for o in outcomes] == [
        "pending",
        "pending",
        "pending",
        "delivered",
        "delivered",
    ]
    waits = [o.retry_at for o in outcomes[:3]]
    assert all(w is not None for w in waits)
    assert len(receiver.requests) == 4
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    (stored,) = await deliveries(session)
    assert (stored.status, stored.attempts) == ("delivered", 4)
    assert [a.status_code for a in await attempts(session)] == [500, 503, 502, 200]
    assert RETRY_DELAYS[0] < RETRY_DELAYS[1] < RETRY_DELAYS[2]


async def test_a_private_address_is_refused_unless_a_setting_allows_it(
    session: AsyncSession,
    settings: Settings,
    hook_settings: Settings,
    receiver: Receiver,
    deliverer: DelivererFactory,
) -> None:
    await subscribe(session, hook_settings, receiver.url)
    await queue_event_deliveries(session, await start_using_left_pad(session))
    (delivery,) = await deliveries(session)
    strict = settings.model_copy(update={"webhook_timeout": 2.0})

    outcome = await deliverer(strict).deliver(delivery.id)

    assert outcome.status == "pending"
    assert receiver.requests == []
    (attempt,) = await attempts(session)
    assert attempt.status_code is None
    assert "not a public address" in (attempt.error or "")


async def test_an_interrupted_delivery_is_sent_again_with_the_same_webhook_id(
    session: AsyncSession,
    hook_settings: Settings,
    receiver: Receiver,
    deliverer: DelivererFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.hold = asyncio.Event()
    receiver.hold.set()
    await subscribe(session, hook_settings, receiver.url)
    await queue_event_deliveries(session, await start_using_left_pad(session))
    (delivery,) = await deliveries(session)
    send = deliverer(
        hook_settings.model_copy(update={"webhook_timeout": 30.0, "webhook_claim_grace": 7.0})
    )

    # The worker dies while the receiver holds the request: the attempt never finishes.
    started = datetime.now(UTC)
    attempt = asyncio.create_task(send.deliver(delivery.id))
    for _ in range(200):
        if receiver.requests:
            break
        await asyncio.sleep(0.02)
    attempt.cancel()
    await asyncio.gather(attempt, return_exceptions=True)
    (pending,) = await deliveries(session)
    assert pending.status == "pending"

    receiver.hold.clear()
    # The dead attempt's claim holds until it runs out; then the delivery goes out again.
    early = await send.deliver(delivery.id)
    assert early.retry_at is not None
    claim = timedelta(seconds=37)  # WEBHOOK_TIMEOUT plus WEBHOOK_CLAIM_GRACE
    assert started + claim <= early.retry_at <= datetime.now(UTC) + claim
    monkeypatch.setattr("app.services.webhook._now", lambda: early.retry_at + timedelta(seconds=1))
    outcome = await send.deliver(delivery.id)

    assert (early.status, len(receiver.requests)) == ("pending", 2)
    assert outcome.status == "delivered"
    assert len(receiver.requests) == 2
    assert {r.headers["webhook-id"] for r in receiver.requests} == {str(delivery.id)}


async def test_a_second_attempt_sends_nothing_while_one_is_in_flight(
    session: AsyncSession, hook_settings: Settings, receiver: Receiver, deliverer: DelivererFactory
) -> None:
    receiver.hold = asyncio.Event()
    receiver.hold.set()
    await subscribe(session, hook_settings, receiver.url)
    await queue_event_deliveries(session, await start_using_left_pad(session))
    (delivery,) = await deliveries(session)
    send = deliverer(hook_settings)

    first = asyncio.create_task(send.deliver(delivery.id))
    for _ in range(200):
        if receiver.requests:
            break
        await asyncio.sleep(0.02)
    # A duplicate job for the same delivery, while the first attempt waits on the receiver.
    second = await send.deliver(delivery.id)
    first_outcome = await first
    receiver.hold.clear()
    third = await send.deliver(delivery.id)

    assert second.status == "pending"
    assert second.retry_at is not None
    assert second.result is None
    # The first attempt ran out of WEBHOOK_TIMEOUT; its recorded failure ended its claim.
    assert first_outcome.result is not None
    assert first_outcome.result.error == "no answer within 2 s"
    assert third.status == "delivered"
    assert len(receiver.requests) == 2
    assert [a.error for a in await attempts(session)] == ["no answer within 2 s", None]


async def test_an_endpoint_failing_every_attempt_is_disabled_and_says_why(
    session: AsyncSession, hook_settings: Settings, receiver: Receiver, deliverer: DelivererFactory
) -> None:
    receiver.statuses = [410]
    settings = hook_settings.model_copy(
        update={"webhook_max_attempts": 2, "webhook_disable_after_failures": 2}
    )
    hook = await subscribe(session, settings, receiver.url)
    for _ in range(2):
        await queue_event_deliveries(session, await start_using_left_pad(session))
    send = deliverer(settings)

    for delivery in await deliveries(session):
        for _ in range(2):
            await send.deliver(delivery.id)

    webhook = await session.get(Webhook, hook.id, populate_existing=True)
    assert webhook is not None
    assert webhook.is_active is False
    assert "2 deliveries in a row failed" in (webhook.disabled_reason or "")
    assert "HTTP 410" in (webhook.disabled_reason or "")
    assert [d.status for d in await deliveries(session)] == ["failed", "failed"]


async def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_timeout(
    session: AsyncSession, hook_settings: Settings, deliverer: DelivererFactory
) -> None:
    async def dribble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        # Each byte comes before a read timeout would fire, so only a budget for the whole
        # attempt ends it.
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.2)

    server = await asyncio.start_server(dribble, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await subscribe(session, hook_settings, f"http://127.0.0.1:{port}/hooks")
    await queue_event_deliveries(session, await start_using_left_pad(session))
    (delivery,) = await deliveries(session)
    send = deliverer(hook_settings.model_copy(update={"webhook_timeout": 1.0}))

    try:
        outcome = await asyncio.wait_for(send.deliver(delivery.id), 10)
    finally:
        server.close()

    assert outcome.status == "pending"
    assert outcome.result is not None
    assert outcome.result.error == "no answer within 1 s"
    assert outcome.result.latency_ms < 3000
