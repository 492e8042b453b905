"""Keeps the read side in step with the source tables; ingestion calls it after its writes."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.package_usage import KIND_USAGE_MIN_REPOSITORIES
from app.repositories.kind_usage_refresh import KindUsageRefreshRepository
from app.repositories.organization import OrganizationRepository
from app.repositories.package import PackageRepository
from app.repositories.stats import StatsRepository
from app.repositories.usage_event import UsageEventRepository
from app.repositories.usage_refresh import PackageRange, UsageRefreshRepository
from app.services.usage_cache import UsageCache, organization_scope, package_scope
from app.services.usage_event import derive_events


@dataclass
class Refreshed:
    """Cache scopes whose answers changed; pass to `UsageRefreshService.bump` after the commit."""

    scopes: set[str] = field(default_factory=set)
    # Usage events the refresh wrote, for whatever must follow them after the commit.
    events: list[uuid.UUID] = field(default_factory=list)


class UsageRefreshService:
    def __init__(
        self, session: AsyncSession, kind_usage_minimum: int = KIND_USAGE_MIN_REPOSITORIES
    ) -> None:
        """`kind_usage_minimum`: how many repositories must use a package directly for it to
        get per-kind rollup rows."""
        self._usage = UsageRefreshRepository(session)
        self._kinds = KindUsageRefreshRepository(session)
        self._kind_usage_minimum = kind_usage_minimum
        self._packages = PackageRepository(session)
        self._organizations = OrganizationRepository(session)
        self._stats = StatsRepository(session)
        self._events = UsageEventRepository(session)

    async def refresh_packages(self, package_ids: Sequence[int]) -> Refreshed:
        """Rebuild the dependents, rollup and counts of whole packages. Idempotent; runs in the
        caller's transaction. Organization pages catch up within their TTL."""
        ids = sorted(set(package_ids))
        if not ids:
            return Refreshed()
        await self._usage.rebuild_dependents(package_ids=ids)
        await self._usage.rebuild_usage(package_ids=ids)
        await self._usage.update_package_counts(ids)
        await self._kinds.rebuild(self._kind_usage_minimum, ids)
        packages = await self._packages.list_keys(ids)
        return Refreshed({package_scope(*key) for key in packages})

    async def refresh_repositories(
        self,
        repository_ids: Sequence[int],
        *,
        record_events: bool = True,
        deleted: Mapping[int, str] | None = None,
    ) -> Refreshed:
        """Bring the read side up to date after the given repositories, their dependencies or
        their owners changed (or were deleted; `deleted` names those): only the (package,
        organization) pairs whose rows differ are recomputed, and each pair whose use started,
        stopped or changed gets a usage event unless `record_events` is off. Idempotent; runs
        in the caller's transaction."""
        ids = sorted(set(repository_ids))
        if not ids:
            return Refreshed()
        changes = await self._usage.sync_dependents(ids)
        pairs = sorted({(change.package_id, change.organization_id) for change in changes})
        if not pairs:
            return Refreshed()
        rollup = await self._usage.replace_usage_pairs(pairs)
        await self._kinds.replace_pairs(pairs)
        # The counts move by what the replaced rollup rows add and remove: a full recount would
        # read every user of each touched package, tens of thousands for a popular one.
        await self._usage.apply_count_changes(rollup.count_changes())
        package_ids = sorted({pair[0] for pair in pairs})
        # A package that grew past the minimum gets its rows; one that shrank keeps them until
        # it is rebuilt whole, so a package near the minimum does not rebuild on every ingest.
        await self._kinds.start(package_ids, self._kind_usage_minimum)
        refreshed = Refreshed()
        if record_events:
            events = derive_events(rollup, changes)
            if events:
                # During an organization's first import, a count that moves between two
                # batches of one crawl is no news: only its starts (and stops) are kept.
                first = await self._events.list_uncrawled(
                    sorted({e.organization_id for e in events})
                )
                events = [
                    e for e in events if e.event_type != "changed" or e.organization_id not in first
                ]
            refreshed.events = await self._events.insert_events(events, deleted or {})
        packages = await self._packages.list_keys(package_ids)
        organizations = await self._organizations.list_by_ids(sorted({p[1] for p in pairs}))
        refreshed.scopes = {package_scope(*key) for key in packages} | {
            organization_scope(o.login) for o in organizations
        }
        return refreshed

    async def rebuild_all(self) -> None:
        """Recompute every derived table from scratch (after a bulk load)."""
        await self._usage.rebuild_dependents()
        await self._usage.analyze_dependents()
        await self._usage.rebuild_usage()
        await self.finish_rebuild()

    async def rebuild_range(self, package_range: PackageRange) -> None:
        """Recompute the derived rows of one package id range; ranges may run concurrently,
        each in its own transaction, and `finish_rebuild` runs once after them all."""
        await self._usage.rebuild_dependents(package_range=package_range)
        await self._usage.rebuild_usage(package_range=package_range)

    async def finish_rebuild(self) -> None:
        await self._usage.update_package_counts()
        await self._kinds.rebuild(self._kind_usage_minimum)
        await self._stats.rebuild_ecosystem_stats()

    async def refresh_stats(self) -> None:
        await self._stats.rebuild_ecosystem_stats()

    @staticmethod
    async def bump(cache: UsageCache, refreshed: Refreshed) -> None:
        """Invalidate cached answers of what changed; call after the commit."""
        await cache.bump(refreshed.scopes)
