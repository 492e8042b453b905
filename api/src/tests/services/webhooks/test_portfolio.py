"""Webhooks following a maintainer's portfolio: events of every package whose source
repository the owner owns are delivered, packages that join later included, each event once."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Package, WebhookDelivery
from app.services.webhook import queue_event_deliveries
from tests.services.webhooks.conftest import start_using, subscribe


def package(name: str, owner: str | None) -> Package:
    return Package(
        ecosystem="npm",
        name=name,
        repository_url=f"https://github.com/{owner}/{name}" if owner else None,
        source_owner=owner.lower() if owner else None,
    )


async def delivered_events(session: AsyncSession, webhook_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        select(WebhookDelivery.event_id)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.event_id)
    )
    return [event_id for event_id in result.scalars() if event_id is not None]


async def test_events_of_a_maintainers_packages_are_delivered_and_no_others(
    session: AsyncSession, hook_settings: Settings
) -> None:
    owned = package(f"kit-{uuid.uuid4().hex[:6]}", "Sindre")
    session.add(owned)
    await session.flush()
    hook = await subscribe(
        session, hook_settings, "http://127.0.0.1:9/hooks", purls=[], maintainers=["SINDRE"]
    )
    mine = await start_using(session, owned)
    theirs = await start_using(session, package(f"other-{uuid.uuid4().hex[:6]}", "someone"))
    unowned = await start_using(session, package(f"bare-{uuid.uuid4().hex[:6]}", None))

    queued = await queue_event_deliveries(session, [*mine, *theirs, *unowned])

    assert hook.maintainers == ["sindre"]
    assert queued == 1
    assert await delivered_events(session, hook.id) == mine


async def test_a_package_joining_the_portfolio_after_subscribing_is_followed(
    session: AsyncSession, hook_settings: Settings
) -> None:
    session.add(package(f"first-{uuid.uuid4().hex[:6]}", "sindre"))
    await session.flush()
    hook = await subscribe(
        session, hook_settings, "http://127.0.0.1:9/hooks", purls=[], maintainers=["sindre"]
    )
    # Its source repository becomes known only later (a registry lookup after the subscription).
    later = package(f"later-{uuid.uuid4().hex[:6]}", None)
    session.add(later)
    await session.flush()
    # Each ingest queues its events' deliveries in its own transaction, as Writer.run does.
    queued_before = await queue_event_deliveries(session, await start_using(session, later))
    later.repository_url, later.source_owner = f"https://github.com/sindre/{later.name}", "sindre"
    await session.flush()
    after = await start_using(session, later)

    queued_after = await queue_event_deliveries(session, after)

    assert (queued_before, queued_after) == (0, 1)
    assert await delivered_events(session, hook.id) == after


async def test_a_package_followed_by_name_and_by_portfolio_is_delivered_once(
    session: AsyncSession, hook_settings: Settings
) -> None:
    owned = package(f"both-{uuid.uuid4().hex[:6]}", "sindre")
    session.add(owned)
    await session.flush()
    hook = await subscribe(
        session,
        hook_settings,
        "http://127.0.0.1:9/hooks",
        purls=[f"pkg:npm/{owned.name}"],
        maintainers=["sindre"],
    )
    events = await start_using(session, owned)

    queued = await queue_event_deliveries(session, events)

    assert queued == 1
    assert await delivered_events(session, hook.id) == events
