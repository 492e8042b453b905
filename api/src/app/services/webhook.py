"""Webhooks: subscribing endpoints to packages and portfolios, turning usage events into signed
deliveries, and delivering them with retries, backoff and a disabled endpoint when they keep
failing."""

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, InvalidPurl, from_purl, to_purl
from app.core.errors import InvalidWebhook, WebhookNotFound
from app.core.github_names import is_login
from app.core.logging import get_logger
from app.core.webhooks import InvalidWebhookSecret, new_secret, secret_key, signature
from app.models import Webhook, WebhookAttempt, WebhookDelivery
from app.providers.webhook import SendResult, WebhookSender
from app.repositories.portfolio import PortfolioRepository
from app.repositories.usage_event import UsageEventRepository
from app.repositories.webhook import WebhookRepository
from app.schemas.pagination import Page
from app.schemas.webhook import (
    AttemptRead,
    DeliveriesQuery,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from app.services.paging import Keyset, page_limit, paginate
from app.services.usage_event import event_read

log = get_logger(__name__)

# After the first attempt fails: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — a day and a bit.
RETRY_DELAYS = (5, 300, 1800, 7200, 18_000, 36_000, 36_000)
_NEWEST = Keyset("deliveries", None, "none", id_type="uuid")


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


def _now() -> datetime:
    return datetime.now(UTC)


def _payload(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "timestamp": _now().isoformat(), "data": data}


async def queue_event_deliveries(session: AsyncSession, event_ids: list[uuid.UUID]) -> int:
    """Make one delivery per (event, webhook following its package or its source owner's
    portfolio) in the caller's
    transaction, so an event committed is an event that will be delivered."""
    if not event_ids:
        return 0
    webhooks = WebhookRepository(session)
    pairs = await webhooks.list_event_subscribers(event_ids)
    if not pairs:
        return 0
    rows = await UsageEventRepository(session).get_events(sorted({e for _, e in pairs}))
    bodies = {row.UsageEvent.id: event_read(row).model_dump(mode="json") for row in rows}
    deliveries = [
        {
            "webhook_id": webhook_id,
            "event_id": event_id,
            "kind": "usage_event",
            "payload": _payload(f"usage_event.{bodies[event_id]['type']}", bodies[event_id]),
        }
        for webhook_id, event_id in pairs
        if event_id in bodies
    ]
    return len(await webhooks.add_deliveries(deliveries))


def _purls(packages: list[tuple[str, str]]) -> list[str]:
    return [to_purl(Ecosystem(ecosystem), name) for ecosystem, name in packages]


def webhook_read(
    webhook: Webhook, packages: list[tuple[str, str]], maintainers: list[str]
) -> WebhookRead:
    return WebhookRead(
        id=webhook.id,
        url=webhook.url,
        purls=_purls(packages),
        maintainers=maintainers,
        event_types=list(webhook.event_types),
        include_initial=webhook.include_initial,
        is_active=webhook.is_active,
        disabled_reason=webhook.disabled_reason,
        disabled_at=webhook.disabled_at,
        created_at=webhook.created_at,
    )


def _delivery_read(delivery: WebhookDelivery, attempts: list[AttemptRead]) -> DeliveryRead:
    fields = {k: getattr(delivery, k) for k in DeliveryRead.model_fields if k != "attempts"}
    return DeliveryRead.model_validate({**fields, "attempts": attempts})


class WebhookService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._webhooks = WebhookRepository(session)
        self._portfolio = PortfolioRepository(session)
        self._settings = settings

    async def create(self, request: WebhookCreate, created_by: str | None) -> WebhookCreated:
        """Raises InvalidWebhook for a URL deliveries could not use, a bad purl or secret, a
        maintainer login that is malformed or owns no known package, or nothing to follow."""
        self._check_url(request.url)
        if not request.purls and not request.maintainers:
            raise InvalidWebhook("give the packages to follow (purls), maintainers, or both")
        maintainers = await self._check_maintainers(request.maintainers)
        packages: set[tuple[str, str]] = set()
        for purl in request.purls:
            try:
                coordinate = from_purl(purl)
            except InvalidPurl as error:
                raise InvalidWebhook(str(error)) from None
            packages.add((coordinate.ecosystem.value, coordinate.name))
        secret = request.secret or new_secret()
        try:
            secret_key(secret)
        except InvalidWebhookSecret as error:
            raise InvalidWebhook(str(error)) from None
        webhook = await self._webhooks.create(
            Webhook(
                url=request.url,
                secret=secret,
                event_types=sorted(set(request.event_types)),
                include_initial=request.include_initial,
                created_by=created_by,
            ),
            sorted(packages),
            maintainers,
        )
        webhook = await self._require(webhook.id)
        read = webhook_read(webhook, sorted(packages), maintainers)
        return WebhookCreated(**read.model_dump(), secret=secret)

    async def _check_maintainers(self, logins: list[str]) -> list[str]:
        """The logins in lower case, sorted, once each; each must own a known package, so a
        typo is refused rather than followed silently forever."""
        for login in logins:
            if not is_login(login):
                raise InvalidWebhook(f"{login[:100]!r} is not a GitHub login")
        wanted = sorted({login.lower() for login in logins})
        known = await self._portfolio.list_known_owners(wanted) if wanted else set()
        unknown = [login for login in wanted if login not in known]
        if unknown:
            raise InvalidWebhook(
                "no known package has its source repository under the GitHub owner"
                f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown[:10]))}"
            )
        return wanted

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        schemes = (
            ("https", "http") if self._settings.webhook_allow_private_addresses else ("https",)
        )
        if parts.scheme not in schemes:
            raise InvalidWebhook(f"the URL must use {' or '.join(schemes)}")
        if not parts.hostname or parts.username is not None or parts.password is not None:
            raise InvalidWebhook("the URL needs a host and no credentials")

    async def _require(self, webhook_id: uuid.UUID, owner: str | None = None) -> Webhook:
        """The webhook; raises WebhookNotFound, also when `owner` is given and is not the one
        that created it (a key sees only its own webhooks; None sees all)."""
        webhook = await self._webhooks.get(webhook_id)
        if webhook is None or (owner is not None and webhook.created_by != owner):
            raise WebhookNotFound(f"no webhook {webhook_id}")
        return webhook

    async def get(self, webhook_id: uuid.UUID, owner: str | None = None) -> WebhookRead:
        webhook = await self._require(webhook_id, owner)
        return webhook_read(
            webhook,
            await self._webhooks.list_packages(webhook.id),
            await self._webhooks.list_maintainers(webhook.id),
        )

    async def delete(self, webhook_id: uuid.UUID, owner: str | None = None) -> None:
        webhook = await self._require(webhook_id, owner)
        await self._webhooks.delete(webhook.id)

    async def ping(self, webhook_id: uuid.UUID, owner: str | None = None) -> DeliveryRead:
        """Queue a `webhook.ping` delivery (signed and retried like any other)."""
        webhook = await self._require(webhook_id, owner)
        (delivery_id,) = await self._webhooks.add_deliveries(
            [
                {
                    "webhook_id": webhook.id,
                    "kind": "ping",
                    "payload": _payload("webhook.ping", {"webhook_id": str(webhook.id)}),
                }
            ]
        )
        (delivery,) = await self._webhooks.list_deliveries_by_id([delivery_id])
        return _delivery_read(delivery, [])

    async def deliveries(
        self, webhook_id: uuid.UUID, query: DeliveriesQuery, owner: str | None = None
    ) -> Page[DeliveryRead]:
        webhook = await self._require(webhook_id, owner)
        limit = page_limit(self._settings, query.limit)
        after = _NEWEST.after(query.cursor)
        rows = await self._webhooks.list_deliveries(
            webhook.id, after=after[1] if after else None, limit=limit + 1
        )
        page, next_cursor = paginate(rows, limit, _NEWEST)
        attempts: dict[uuid.UUID, list[AttemptRead]] = {}
        for attempt in await self._webhooks.list_attempts([d.id for d in page]):
            attempts.setdefault(attempt.delivery_id, []).append(
                AttemptRead.model_validate(attempt, from_attributes=True)
            )
        items = [_delivery_read(d, attempts.get(d.id, [])) for d in page]
        return Page(items=items, next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What became of one attempt: done (delivered, failed for good, or nothing to do) or a
    retry due at `retry_at`."""

    status: str
    retry_at: datetime | None = None
    result: SendResult | None = None


class WebhookDeliverer:
    """One attempt per call, its bookkeeping in short transactions around the request."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: WebhookSender,
        settings: Settings,
    ) -> None:
        self._session_factory = session_factory
        self._sender = sender
        self._settings = settings

    async def deliver(self, delivery_id: uuid.UUID) -> DeliveryOutcome:
        """Send the delivery once, signed with a fresh timestamp and its own id as
        `webhook-id` (the same on every attempt), and record the attempt. Idempotent once the
        delivery is done. One attempt at a time: while another is in flight this sends
        nothing and answers `pending` with `retry_at` set to when that attempt's claim runs
        out; a worker killed mid-request leaves its claim to run out, then the next run sends
        the delivery again."""
        async with self._session_factory() as session, session.begin():
            found = await WebhookRepository(session).lock_delivery(delivery_id)
            if found is None or found[0].status != "pending":
                return DeliveryOutcome(found[0].status if found else "missing")
            delivery, webhook = found
            # A ping still goes to a disabled endpoint: it is how one checks it works again.
            if not webhook.is_active and delivery.kind != "ping":
                delivery.status = "failed"
                return DeliveryOutcome("failed")
            now = _now()
            if delivery.sending_until is not None and delivery.sending_until > now:
                return DeliveryOutcome("pending", delivery.sending_until)
            # WEBHOOK_TIMEOUT bounds the request; the grace covers the bookkeeping around it.
            claim = self._settings.webhook_timeout + self._settings.webhook_claim_grace
            delivery.sending_until = now + timedelta(seconds=claim)
            url, secret = webhook.url, webhook.secret
            body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "wump-webhooks",
            "webhook-id": str(delivery_id),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, str(delivery_id), timestamp, body),
        }
        attempted_at = _now()
        result = await self._sender.send(url, headers, body)
        return await self._record(delivery_id, attempted_at, result)

    async def _record(
        self, delivery_id: uuid.UUID, attempted_at: datetime, result: SendResult
    ) -> DeliveryOutcome:
        async with self._session_factory() as session, session.begin():
            repository = WebhookRepository(session)
            found = await repository.lock_delivery(delivery_id)
            if found is None:
                return DeliveryOutcome("missing", result=result)
            delivery, webhook = found
            await repository.add_attempt(
                WebhookAttempt(
                    delivery_id=delivery_id,
                    attempted_at=attempted_at,
                    status_code=result.status_code,
                    latency_ms=result.latency_ms,
                    error=result.error,
                )
            )
            delivery.attempts += 1
            delivery.sending_until = None
            if result.ok:
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                    "delivered",
                    _now(),
                    None,
                )
                webhook.failed_deliveries = 0
                if delivery.kind == "ping" and not webhook.is_active:
                    webhook.is_active, webhook.disabled_at, webhook.disabled_reason = (
                        True,
                        None,
                        None,
                    )
                    log.info("webhook.enabled", webhook_id=str(webhook.id))
                log.info(
                    "webhook.delivered", delivery_id=str(delivery_id), attempts=delivery.attempts
                )
                return DeliveryOutcome("delivered", result=result)
            log.warning(
                "webhook.attempt_failed",
                delivery_id=str(delivery_id),
                attempt=delivery.attempts,
                error=result.error,
            )
            retrying = webhook.is_active or delivery.kind == "ping"
            if delivery.attempts < self._settings.webhook_max_attempts and retrying:
                delivery.next_attempt_at = _now() + retry_delay(delivery.attempts)
                return DeliveryOutcome("pending", delivery.next_attempt_at, result)
            delivery.status, delivery.next_attempt_at = "failed", None
            webhook.failed_deliveries += 1
            limit = self._settings.webhook_disable_after_failures
            if webhook.is_active and webhook.failed_deliveries >= limit:
                webhook.is_active = False
                webhook.disabled_at = _now()
                webhook.disabled_reason = (
                    f"disabled after {webhook.failed_deliveries} deliveries in a row failed"
                    f" every attempt; the last answer: {result.error}"
                )[:1000]
                log.warning("webhook.disabled", webhook_id=str(webhook.id))
            return DeliveryOutcome("failed", result=result)

    async def claim_unqueued(self, limit: int) -> list[uuid.UUID]:
        async with self._session_factory() as session:
            return await WebhookRepository(session).list_unqueued(limit)

    async def mark_queued(self, delivery_ids: list[uuid.UUID]) -> None:
        async with self._session_factory() as session, session.begin():
            await WebhookRepository(session).mark_queued(delivery_ids, _now())
