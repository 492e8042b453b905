"""SQL of webhooks: endpoints, the packages and portfolios they follow, deliveries and attempts."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookMaintainer,
    WebhookPackage,
)


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        webhook: Webhook,
        packages: Sequence[tuple[str, str]],
        maintainers: Sequence[str] = (),
    ) -> Webhook:
        self._session.add(webhook)
        await self._session.flush()
        if packages:
            await self._session.execute(
                insert(WebhookPackage),
                [{"webhook_id": webhook.id, "ecosystem": e, "name": n} for e, n in packages],
            )
        if maintainers:
            await self._session.execute(
                insert(WebhookMaintainer),
                [{"webhook_id": webhook.id, "login": login} for login in maintainers],
            )
        return webhook

    async def get(self, webhook_id: uuid.UUID) -> Webhook | None:
        return await self._session.get(Webhook, webhook_id, populate_existing=True)

    async def list_packages(self, webhook_id: uuid.UUID) -> list[tuple[str, str]]:
        result = await self._session.execute(
            select(WebhookPackage.ecosystem, WebhookPackage.name)
            .where(WebhookPackage.webhook_id == webhook_id)
            .order_by(WebhookPackage.ecosystem, WebhookPackage.name)
        )
        return [(row.ecosystem, row.name) for row in result]

    async def list_maintainers(self, webhook_id: uuid.UUID) -> list[str]:
        result = await self._session.execute(
            select(WebhookMaintainer.login)
            .where(WebhookMaintainer.webhook_id == webhook_id)
            .order_by(WebhookMaintainer.login)
        )
        return list(result.scalars())

    async def delete(self, webhook_id: uuid.UUID) -> bool:
        result = await self._session.execute(
            text("DELETE FROM webhooks WHERE id = :id RETURNING id"), {"id": webhook_id}
        )
        return result.first() is not None

    async def list_event_subscribers(
        self, event_ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(webhook, event), once each, for every active webhook following an event's package
        by name or through its source owner's portfolio, of its type, and taking first-import
        events when the event is one. The owner is read now, so a package that joined a
        portfolio after the webhook subscribed is followed too."""
        result = await self._session.execute(
            text(
                "WITH followers AS ("
                " SELECT wp.webhook_id, e.id AS event_id FROM usage_events e"
                " JOIN packages p ON p.id = e.package_id"
                " JOIN webhook_packages wp ON wp.ecosystem = p.ecosystem AND wp.name = p.name"
                " WHERE e.id = ANY(CAST(:ids AS uuid[]))"
                " UNION"
                " SELECT wm.webhook_id, e.id FROM usage_events e"
                " JOIN packages p ON p.id = e.package_id"
                " JOIN webhook_maintainers wm ON wm.login = p.source_owner"
                " WHERE e.id = ANY(CAST(:ids AS uuid[])))"
                " SELECT w.id, e.id FROM followers f"
                " JOIN usage_events e ON e.id = f.event_id"
                " JOIN webhooks w ON w.id = f.webhook_id"
                " WHERE w.is_active"
                " AND e.event_type = ANY(w.event_types) AND (w.include_initial OR NOT e.is_initial)"
                " ORDER BY e.id, w.id"
            ),
            {"ids": list(event_ids)},
        )
        return [(row[0], row[1]) for row in result]

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
        if not rows:
            return []
        result = await self._session.execute(
            insert(WebhookDelivery).returning(WebhookDelivery.id), list(rows)
        )
        return list(result.scalars())

    async def lock_delivery(self, delivery_id: uuid.UUID) -> tuple[WebhookDelivery, Webhook] | None:
        result = await self._session.execute(
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.id == delivery_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = result.first()
        return (row[0], row[1]) if row is not None else None

    async def add_attempt(self, attempt: WebhookAttempt) -> None:
        self._session.add(attempt)
        await self._session.flush()

    async def list_deliveries(
        self, webhook_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> list[WebhookDelivery]:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if after is not None:
            stmt = stmt.where(WebhookDelivery.id < after)
        result = await self._session.execute(stmt.order_by(WebhookDelivery.id.desc()).limit(limit))
        return list(result.scalars())

    async def list_deliveries_by_id(
        self, delivery_ids: Sequence[uuid.UUID]
    ) -> list[WebhookDelivery]:
        result = await self._session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(list(delivery_ids)))
            .order_by(WebhookDelivery.id)
        )
        return list(result.scalars())

    async def list_attempts(self, delivery_ids: Sequence[uuid.UUID]) -> list[WebhookAttempt]:
        if not delivery_ids:
            return []
        result = await self._session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempted_at)
        )
        return list(result.scalars())

    async def list_unqueued(self, limit: int) -> list[uuid.UUID]:
        result = await self._session.execute(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.queued_at.is_(None))
            .order_by(WebhookDelivery.created_at)
            .limit(limit)
        )
        return list(result.scalars())

    async def mark_queued(self, delivery_ids: Sequence[uuid.UUID], at: datetime) -> None:
        if delivery_ids:
            await self._session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(list(delivery_ids)))
                .values(queued_at=at)
            )

    async def count_deliveries(self, webhook_id: uuid.UUID) -> int:
        result = await self._session.execute(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
        )
        return int(result.scalar_one())
