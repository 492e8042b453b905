"""`wump webhooks test ID`: a signed ping to the endpoint now, and one readable line back."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import Settings
from app.models import Webhook
from tests.services.webhooks.conftest import Receiver, subscribe, verify


@pytest.fixture
async def hook(
    engine: AsyncEngine, hook_settings: Settings, receiver: Receiver
) -> AsyncIterator[tuple[str, str]]:
    """A committed webhook to the receiver: (id, secret); removed afterwards."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        created = await subscribe(session, hook_settings, receiver.url)
        await session.commit()
    yield str(created.id), created.secret
    async with engine.begin() as connection:
        await connection.execute(delete(Webhook).where(Webhook.id == created.id))


def run(settings: Settings, *args: str, allow_private: bool = True) -> Result:
    environment = {
        "DATABASE_URL": str(settings.database_url),
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true" if allow_private else "false",
        "WEBHOOK_TIMEOUT": "5",
    }
    return CliRunner().invoke(cli, ["webhooks", "test", *args], env=environment)


async def test_ping_is_delivered_signed_and_reported(
    settings: Settings, receiver: Receiver, hook: tuple[str, str]
) -> None:
    webhook_id, secret = hook
    receiver.statuses = [204]

    # The command runs its own event loop; the receiver answers on this one meanwhile.
    result = await asyncio.to_thread(run, settings, webhook_id)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("delivered: HTTP 204 in ")
    (received,) = receiver.requests
    verify(secret, received)
    assert b'"type":"webhook.ping"' in received.body


async def test_a_refused_ping_says_why_in_one_line(
    settings: Settings, receiver: Receiver, hook: tuple[str, str]
) -> None:
    result = await asyncio.to_thread(run, settings, hook[0], allow_private=False)

    assert result.exit_code == 1
    assert "not delivered:" in result.stderr
    assert "not a public address" in result.stderr
    assert receiver.requests == []


async def test_unknown_or_malformed_ids_are_one_line_errors(settings: Settings) -> None:
    unknown = await asyncio.to_thread(run, settings, str(uuid.uuid4()))
    malformed = await asyncio.to_thread(run, settings, "nope")

    assert (unknown.exit_code, malformed.exit_code) == (1, 2)
    assert unknown.stderr.startswith("wump: no webhook ")
    assert malformed.stderr.strip() == "wump: not a webhook id: 'nope'"
