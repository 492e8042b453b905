"""`wump webhooks test ID`: send a signed ping to a webhook's endpoint now and say how it went."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import database_settings, fail, settings_or_exit
from app.cli.root import cli

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.services.webhook import DeliveryOutcome

webhooks = typer.Typer(no_args_is_help=True, help="Check webhook endpoints.")
cli.add_typer(webhooks, name="webhooks")


async def _ping(settings: Settings, webhook_id: uuid.UUID) -> tuple[uuid.UUID, DeliveryOutcome]:
    from contextlib import asynccontextmanager

    import httpx

    from app.core.db import create_engine, create_session_factory, unit_of_work
    from app.providers.webhook import WebhookSender
    from app.services.webhook import WebhookDeliverer, WebhookService

    engine = create_engine(settings)
    factory = create_session_factory(engine)
    try:
        async with asynccontextmanager(unit_of_work)(factory) as session:
            delivery = await WebhookService(session, settings).ping(webhook_id)
        async with httpx.AsyncClient(trust_env=False) as client:
            sender = WebhookSender(
                client,
                allow_private=settings.webhook_allow_private_addresses,
                timeout=settings.webhook_timeout,
            )
            outcome = await WebhookDeliverer(factory, sender, settings).deliver(delivery.id)
        return delivery.id, outcome
    finally:
        await engine.dispose()


@webhooks.command("test")
def test(webhook_id: Annotated[str, typer.Argument(help="The webhook's id.")]) -> None:
    """Send a signed `webhook.ping` now (also to a disabled endpoint, which it enables again
    when it arrives); a failed one is retried by the worker like any delivery."""
    from sqlalchemy.exc import DBAPIError

    from app.core.errors import WebhookNotFound
    from app.core.logging import configure_logging

    try:
        key = uuid.UUID(webhook_id)
    except ValueError:
        fail(f"not a webhook id: {webhook_id!r}")
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.effective_log_format)
    with database_settings(settings) as settings:
        try:
            delivery_id, outcome = asyncio.run(_ping(settings, key))
        except WebhookNotFound:
            fail(f"no webhook {key}", code=1)
        except (OSError, DBAPIError) as error:
            fail(f"cannot use the database: {error}", code=1)
    result = outcome.result
    if outcome.status == "delivered" and result is not None:
        typer.echo(
            f"delivered: HTTP {result.status_code} in {result.latency_ms} ms"
            f" (webhook-id {delivery_id})"
        )
        return
    if result is None and outcome.status == "pending":
        fail(f"a worker is sending it right now (webhook-id {delivery_id})", code=1)
    reason = result.error if result is not None else outcome.status
    fail(f"not delivered: {reason} (webhook-id {delivery_id}; the worker retries it)", code=1)
