"""SQL of usage events: writing them with their evidence, reading the feeds, pruning."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, Package, UsageEvent
from app.models.package_usage import NON_USAGE_KINDS

AnyRow = Row[*tuple[Any, ...]]

# Held from numbering a transaction's events to its end, so numbers follow commit order.
EVENT_ORDER_LOCK_KEY = 0x77756D70_0001  # "wump" + 1


@dataclass(slots=True)
class NewEvent:
    package_id: int
    organization_id: int
    event_type: str
    repositories_before: int
    repositories_after: int
    kinds_before: int
    kinds_after: int
    # (repository id, added | removed | updated)
    repositories: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EventFilter:
    package_id: int | None = None
    organization_id: int | None = None
    event_types: tuple[str, ...] = ()
    since: datetime | None = None
    initial: bool | None = None


# Each involved repository with its evidence: the manifests that declare the package now (none
# once it stopped) and the commit they were read at (else the repository's latest known one).
# The evidence is gathered per involved repository and joined to its event by number: a first
# import writes thousands of events at once. `occurred_at` is the clock's time, like the
# time-ordered ids, not the transaction's start: feeds read `since`.
_INSERT_EVENTS = """
WITH e AS (
  SELECT * FROM unnest(CAST(:numbers AS integer[]), CAST(:packages AS integer[]),
    CAST(:organizations AS integer[]), CAST(:types AS varchar[]), CAST(:before AS integer[]),
    CAST(:after AS integer[]), CAST(:kinds_before AS integer[]), CAST(:kinds_after AS integer[]))
    AS e(number, package_id, organization_id, event_type, before, after, kinds_before,
      kinds_after)
), c AS (
  SELECT * FROM unnest(CAST(:c_numbers AS integer[]), CAST(:c_packages AS integer[]),
    CAST(:c_repositories AS integer[]), CAST(:c_changes AS varchar[]), CAST(:c_names AS varchar[]))
    AS c(number, package_id, repository_id, change, known_name)
), evidence AS (
  SELECT c.number, jsonb_agg(jsonb_build_object(
      'full_name', coalesce(r.full_name, c.known_name),
      'change', c.change,
      'manifests', coalesce(m.paths, '[]'::jsonb),
      'commit', coalesce(m.commit_sha, (
        SELECT d.commit_sha FROM dependencies d
        WHERE d.repository_id = c.repository_id AND d.commit_sha IS NOT NULL LIMIT 1))
    ) ORDER BY coalesce(r.full_name, c.known_name)) AS repositories
  FROM c
  LEFT JOIN repositories r ON r.id = c.repository_id
  LEFT JOIN LATERAL (
    SELECT jsonb_agg(DISTINCT mp.path) AS paths, max(d.commit_sha) AS commit_sha
    FROM dependencies d JOIN manifest_paths mp ON mp.id = d.manifest_path_id
    WHERE d.repository_id = c.repository_id AND d.package_id = c.package_id
    AND d.dependency_type <> ALL(CAST(:non_usage AS dependency_kind[]))) m ON true
  GROUP BY c.number
)
INSERT INTO usage_events (package_id, organization_id, event_type, is_initial,
  repositories_before, repositories_after, kinds_before, kinds_after, occurred_at, repositories)
SELECT e.package_id, e.organization_id, e.event_type, o.crawled_at IS NULL, e.before, e.after,
  e.kinds_before, e.kinds_after, clock_timestamp(), coalesce(evidence.repositories, '[]'::jsonb)
FROM e JOIN organizations o ON o.id = e.organization_id
LEFT JOIN evidence ON evidence.number = e.number
ORDER BY e.number
RETURNING id
"""


class UsageEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def insert_events(
        self, events: Sequence[NewEvent], known_names: Mapping[int, str]
    ) -> list[uuid.UUID]:
        """Insert the events with their evidence; `known_names` names repositories already
        deleted. Events of an organization deleted meanwhile are dropped."""
        if not events:
            return []
        # Events are numbered (`seq`) as they are inserted; with this lock held until the
        # transaction ends, no transaction numbers its events while another that numbered
        # earlier is still uncommitted, so a feed reader never finds a new event behind one
        # it already read. Taken as late as possible: the writers hold their package and
        # owner row locks before they get here, and only insert after it.
        await self._session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK_KEY}
        )
        involved = [
            (number, event.package_id, repository_id, change)
            for number, event in enumerate(events)
            for repository_id, change in event.repositories
        ]
        result = await self._session.execute(
            text(_INSERT_EVENTS),
            {
                "numbers": list(range(len(events))),
                "packages": [e.package_id for e in events],
                "organizations": [e.organization_id for e in events],
                "types": [e.event_type for e in events],
                "before": [e.repositories_before for e in events],
                "after": [e.repositories_after for e in events],
                "kinds_before": [e.kinds_before for e in events],
                "kinds_after": [e.kinds_after for e in events],
                "c_numbers": [item[0] for item in involved],
                "c_packages": [item[1] for item in involved],
                "c_repositories": [item[2] for item in involved],
                "c_changes": [item[3] for item in involved],
                "c_names": [known_names.get(item[2]) for item in involved],
                "non_usage": list(NON_USAGE_KINDS),
            },
        )
        return list(result.scalars())

    async def list_uncrawled(self, organization_ids: Sequence[int]) -> set[int]:
        """The organizations that never completed a crawl (still in their first import)."""
        result = await self._session.execute(
            select(Organization.id).where(
                Organization.id.in_(list(organization_ids)), Organization.crawled_at.is_(None)
            )
        )
        return set(result.scalars())

    async def list_events(self, f: EventFilter, *, after: int | None, limit: int) -> list[AnyRow]:
        """Newest first in commit order, keyset on `seq`."""
        stmt = (
            select(
                UsageEvent,
                Package.ecosystem,
                Package.name.label("package_name"),
                Organization.login,
            )
            .join(Package, Package.id == UsageEvent.package_id)
            .join(Organization, Organization.id == UsageEvent.organization_id)
        )
        if f.package_id is not None:
            stmt = stmt.where(UsageEvent.package_id == f.package_id)
        if f.organization_id is not None:
            stmt = stmt.where(UsageEvent.organization_id == f.organization_id)
        if f.event_types:
            stmt = stmt.where(UsageEvent.event_type.in_(f.event_types))
        if f.since is not None:
            stmt = stmt.where(UsageEvent.occurred_at >= f.since)
        if f.initial is not None:
            stmt = stmt.where(UsageEvent.is_initial.is_(f.initial))
        if after is not None:
            stmt = stmt.where(UsageEvent.seq < after)
        result = await self._session.execute(stmt.order_by(UsageEvent.seq.desc()).limit(limit))
        return list(result.all())

    async def get_events(self, ids: Sequence[uuid.UUID]) -> list[AnyRow]:
        result = await self._session.execute(
            select(
                UsageEvent,
                Package.ecosystem,
                Package.name.label("package_name"),
                Organization.login,
            )
            .join(Package, Package.id == UsageEvent.package_id)
            .join(Organization, Organization.id == UsageEvent.organization_id)
            .where(UsageEvent.id.in_(list(ids)))
            .order_by(UsageEvent.id)
        )
        return list(result.all())

    async def prune(self, older_than: datetime, limit: int) -> int:
        """Delete up to `limit` events that occurred before `older_than`, oldest first."""
        oldest = (
            select(UsageEvent.id)
            .where(UsageEvent.occurred_at < older_than)
            .order_by(UsageEvent.occurred_at)
            .limit(limit)
        )
        result = await self._session.execute(
            delete(UsageEvent).where(UsageEvent.id.in_(oldest.scalar_subquery()))
        )
        return int(getattr(result, "rowcount", 0) or 0)
