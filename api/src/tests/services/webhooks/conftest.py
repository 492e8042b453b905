"""Webhook test support: a local receiver that records requests, a deliverer on the test
transaction, and a usage event to deliver."""

import asyncio
import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.models import Dependency, Organization, Package, Repository
from app.providers.webhook import WebhookSender
from app.schemas.webhook import WebhookCreate, WebhookCreated
from app.services.usage_refresh import UsageRefreshService
from app.services.webhook import WebhookDeliverer, WebhookService
from tests.paths import manifest_path_id


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next status of `statuses` (the last one repeats); while
    `hold` is set it accepts a request and never answers."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    hold: asyncio.Event | None = None
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Received(headers, body))
        if self.hold is not None and self.hold.is_set():
            await asyncio.sleep(3600)
        status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}/hooks"
    yield receiver
    server.close()


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"webhook_allow_private_addresses": True, "webhook_timeout": 2.0}
    )


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


DelivererFactory = Callable[[Settings], WebhookDeliverer]


@pytest.fixture
async def deliverer(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[DelivererFactory]:
    clients: list[httpx.AsyncClient] = []

    def build(settings: Settings) -> WebhookDeliverer:
        client = httpx.AsyncClient(trust_env=False)
        clients.append(client)
        sender = WebhookSender(
            client,
            allow_private=settings.webhook_allow_private_addresses,
            timeout=settings.webhook_timeout,
        )
        return WebhookDeliverer(session_factory, sender, settings)

    yield build
    for client in clients:
        await client.aclose()


async def subscribe(
    session: AsyncSession, settings: Settings, url: str, **extra: object
) -> WebhookCreated:
    request = WebhookCreate.model_validate({"url": url, "purls": ["pkg:npm/left-pad"], **extra})
    created = await WebhookService(session, settings).create(request, created_by="test")
    await session.flush()
    return created


async def start_using_left_pad(session: AsyncSession) -> list[uuid.UUID]:
    """acme (crawled before) starts using npm left-pad; returns the events written."""
    left_pad = (
        await session.execute(
            select(Package).where(Package.ecosystem == "npm", Package.name == "left-pad")
        )
    ).scalar_one_or_none() or Package(ecosystem="npm", name="left-pad")
    return await start_using(session, left_pad)


async def start_using(session: AsyncSession, package: Package) -> list[uuid.UUID]:
    """A new organization (crawled before) starts using `package`; returns the events written."""
    organization = Organization(
        login=f"acme-{uuid.uuid4().hex[:6]}",
        owner_type="organization",
        crawled_at=datetime.now(UTC),
    )
    session.add(organization)
    await session.flush()
    repository = Repository(
        organization_id=organization.id,
        name="web",
        full_name=f"{organization.login}/web",
        github_url=f"https://github.com/{organization.login}/web",
    )
    session.add_all([package, repository])
    await session.flush()
    session.add(
        Dependency(
            repository_id=repository.id,
            package_id=package.id,
            manifest_path_id=await manifest_path_id(session, "package.json"),
            dependency_type="runtime",
        )
    )
    await session.flush()
    refreshed = await UsageRefreshService(session).refresh_repositories([repository.id])
    return refreshed.events


def verify(secret: str, received: Received) -> None:
    """A Standard Webhooks verifier of its own: HMAC-SHA256 of `id.timestamp.body` with the
    base64 key after `whsec_`, compared with each `v1,` signature; a fresh timestamp."""
    key = base64.b64decode(secret.split("_", 1)[1])
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        part.split(",", 1)[1]
        for part in headers["webhook-signature"].split(" ")
        if part.startswith("v1,")
    ]
    assert any(hmac.compare_digest(expected, signature) for signature in offered)
    assert abs(time.time() - int(headers["webhook-timestamp"])) < 300
