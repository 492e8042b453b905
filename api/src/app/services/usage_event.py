"""Usage events: derived from each refresh's rollup changes, read back as feeds, pruned."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, normalize_name, to_purl
from app.core.errors import OrganizationNotFound, PackageNotFound
from app.models import UsageEvent
from app.models.package_usage import kinds_from_mask
from app.repositories.organization import OrganizationRepository
from app.repositories.package import PackageRepository
from app.repositories.usage_event import AnyRow, EventFilter, NewEvent, UsageEventRepository
from app.repositories.usage_refresh import DependentChange, Pair, RollupChanges
from app.schemas.pagination import Page
from app.schemas.usage_event import EventRepository, UsageEventRead, UsageEventsQuery
from app.services.paging import Keyset, Listing, paginate

# Newest first in commit order: by `seq`, which the cursor carries (the id is unique anyway).
_NEWEST = Keyset("seq", "seq", "int", id_type="uuid")
# Events deleted per statement by the retention job, so no transaction grows without bound.
PRUNE_BATCH = 10_000


def derive_events(rollup: RollupChanges, changes: Sequence[DependentChange]) -> list[NewEvent]:
    """One event per (package, organization) whose default-view use started (no rollup row
    before), stopped (none after) or changed (repository count or kinds moved); the
    repositories involved are those whose rows for the pair changed."""
    involved: dict[Pair, list[tuple[int, str]]] = {}
    for change in changes:
        pair = (change.package_id, change.organization_id)
        involved.setdefault(pair, []).append((change.repository_id, change.change))
    events: list[NewEvent] = []
    for pair in sorted(set(rollup.before) | set(rollup.after)):
        before, after = rollup.before.get(pair), rollup.after.get(pair)
        if before is None and after is not None:
            event_type = "started"
        elif after is None and before is not None:
            event_type = "stopped"
        elif before is not None and after is not None and before != after:
            event_type = "changed"
        else:
            continue
        events.append(
            NewEvent(
                package_id=pair[0],
                organization_id=pair[1],
                event_type=event_type,
                repositories_before=before.repositories if before else 0,
                repositories_after=after.repositories if after else 0,
                kinds_before=before.kinds if before else 0,
                kinds_after=after.kinds if after else 0,
                repositories=involved.get(pair, []),
            )
        )
    return events


def event_read(row: AnyRow) -> UsageEventRead:
    event: UsageEvent = row.UsageEvent
    ecosystem = Ecosystem(row.ecosystem)
    return UsageEventRead(
        id=event.id,
        seq=event.seq,
        type=event.event_type,
        occurred_at=event.occurred_at,
        initial=event.is_initial,
        ecosystem=ecosystem,
        package=row.package_name,
        purl=to_purl(ecosystem, row.package_name),
        organization=row.login,
        repositories_before=event.repositories_before,
        repositories_after=event.repositories_after,
        kinds_before=kinds_from_mask(event.kinds_before),
        kinds_after=kinds_from_mask(event.kinds_after),
        repositories=[EventRepository.model_validate(r) for r in event.repositories],
    )


class UsageEventService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._events = UsageEventRepository(session)
        self._packages = PackageRepository(session)
        self._organizations = OrganizationRepository(session)
        self._settings = settings

    def package_events(
        self, ecosystem: Ecosystem, name: str, query: UsageEventsQuery
    ) -> Listing[UsageEventsQuery, UsageEventRead]:
        """Newest first; its pages raise PackageNotFound, InvalidCursor, PageLimitExceeded."""

        async def subject() -> EventFilter:
            normalized = normalize_name(ecosystem, name)
            package = await self._packages.get_by_name(ecosystem.value, normalized)
            if package is None:
                raise PackageNotFound(f"no {ecosystem.value} package named {name[:200]!r}")
            return EventFilter(package_id=package.id)

        filename = f"{ecosystem.value}-{name.replace('/', '-')}-events"
        return Listing(query, self._fetch(subject), UsageEventRead, filename, self._settings)

    def organization_events(
        self, login: str, query: UsageEventsQuery
    ) -> Listing[UsageEventsQuery, UsageEventRead]:
        """Newest first; its pages raise OrganizationNotFound, InvalidCursor, PageLimitExceeded."""

        async def subject() -> EventFilter:
            organization = await self._organizations.get_by_login(login)
            if organization is None:
                raise OrganizationNotFound(f"no organization {login[:100]!r}")
            return EventFilter(organization_id=organization.id)

        return Listing(
            query, self._fetch(subject), UsageEventRead, f"{login}-events", self._settings
        )

    def _fetch(
        self, subject: Callable[[], Awaitable[EventFilter]]
    ) -> Callable[[UsageEventsQuery, int], Awaitable[Page[UsageEventRead]]]:
        async def fetch(query: UsageEventsQuery, limit: int) -> Page[UsageEventRead]:
            after = _NEWEST.after(query.cursor)
            f = replace(
                await subject(),
                event_types=tuple(query.type or ()),
                since=query.since,
                initial=query.initial,
            )
            rows = await self._events.list_events(
                f, after=after[0] if after else None, limit=limit + 1
            )
            page, next_cursor = paginate([event_read(row) for row in rows], limit, _NEWEST)
            return Page(items=page, next_cursor=next_cursor)

        return fetch

    async def prune(self, now: datetime, batch: int = PRUNE_BATCH) -> int:
        """Delete up to `batch` events older than the retention setting; returns how many went."""
        cutoff = now - timedelta(days=self._settings.usage_events_retention_days)
        return await self._events.prune(cutoff, batch)


async def prune_usage_events(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """Delete every event older than the retention setting, PRUNE_BATCH per transaction."""
    pruned = 0
    while True:
        async with session_factory() as session, session.begin():
            deleted = await UsageEventService(session, settings).prune(now)
        pruned += deleted
        if deleted < PRUNE_BATCH:
            return pruned
