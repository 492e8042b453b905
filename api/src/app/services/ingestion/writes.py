"""The ingestion write path: store scans in the caller's transaction, and run each write in a
short transaction of its own, retried on a conflict, then bump the cache scopes it changed."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.logging import get_logger
from app.repositories.ingestion import (
    DependencyColumns,
    DependencyScope,
    IngestionRepository,
    ScanState,
)
from app.services.ingestion.rows import ScannedRepository, dependency_columns
from app.services.usage_cache import UsageCache, organization_scope
from app.services.usage_refresh import Refreshed, UsageRefreshService
from app.services.webhook import queue_event_deliveries

log = get_logger(__name__)

T = TypeVar("T")

# Deadlock, serialization failure, and a row another transaction inserted between this one's
# read and its insert: all cured by running the idempotent write again.
_TRANSIENT_SQLSTATES = {"40P01", "40001", "23505"}
_WRITE_ATTEMPTS = 3


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredScans:
    rows_written: int
    repository_ids: list[int]
    owners: list[str]


async def store_scans(
    session: AsyncSession, scans: Sequence[ScannedRepository], at: datetime
) -> StoredScans:
    """Store scanned repositories and their dependencies in the caller's transaction, without
    refreshing the read side (the caller does, once per transaction)."""
    repository = IngestionRepository(session)
    owners = await repository.ensure_organizations([scan.fields.owner for scan in scans])
    repository_ids = await repository.upsert_repositories(
        [(owners[s.fields.owner.lower()], s.fields, ScanState(at, s.scan_error)) for s in scans]
    )
    written = [(repository_ids[s.fields.full_name.lower()], s) for s in scans if s.mode != "keep"]
    packages = await repository.upsert_packages(
        {(facts.ecosystem, facts.name) for _, scan in written for facts in scan.dependencies}
    )
    all_ids = list(repository_ids.values())
    await repository.lock_packages(all_ids, list(packages.values()))
    scope = DependencyScope(
        replace=[rid for rid, scan in written if scan.mode == "replace"],
        kept_paths=[(rid, path) for rid, scan in written for path in scan.kept_paths],
    )
    count = await write_dependencies(repository, dependency_columns(written, packages), scope, at)
    await repository.update_totals(list(owners.values()))
    return StoredScans(count, all_ids, list(owners))


class WriteConflict(Exception):
    """Rows changed under the transaction between its read and its write; retry it."""


async def write_dependencies(
    repository: IngestionRepository, rows: DependencyColumns, scope: DependencyScope, at: datetime
) -> int:
    """Write the rows; returns how many were inserted or updated."""
    writes = await repository.write_dependencies(rows, scope, at)
    if writes.updated != writes.changed:
        raise WriteConflict
    return writes.inserted + writes.updated


class Writer:
    """Runs ingestion writes: one short transaction each, never across a network call."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        cache: UsageCache | None,
        *,
        record_events: bool = True,
    ) -> None:
        self.session_factory = session_factory
        self._cache = cache
        # Whether refreshes write usage events (see UsageRefreshService.refresh_repositories).
        self.record_events = record_events

    async def run(self, work: Callable[[AsyncSession], Awaitable[tuple[T, Refreshed]]]) -> T:
        """Run `work` in a transaction of its own, retried on a deadlock or serialization
        failure (all writes are idempotent), then bump the cache scopes it changed."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with self.session_factory() as session, session.begin():
                    value, refreshed = await work(session)
                    # In the same transaction: the events and their deliveries commit together.
                    await queue_event_deliveries(session, refreshed.events)
            except WriteConflict:
                if attempt == _WRITE_ATTEMPTS:
                    raise
                log.warning("ingest.write.retry", attempt=attempt, reason="rows changed")
                continue
            except DBAPIError as error:
                code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
                if code not in _TRANSIENT_SQLSTATES or attempt == _WRITE_ATTEMPTS:
                    raise
                log.warning("ingest.write.retry", attempt=attempt, sqlstate=code)
                await asyncio.sleep(0.05 * attempt)
                continue
            if self._cache is not None:
                await UsageRefreshService.bump(self._cache, refreshed)
            return value
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def store(self, scans: Sequence[ScannedRepository]) -> int:
        """Store the scans and refresh the read side in one transaction; returns rows written."""

        async def work(session: AsyncSession) -> tuple[int, Refreshed]:
            stored = await store_scans(session, scans, now())
            refreshed = await UsageRefreshService(session).refresh_repositories(
                stored.repository_ids, record_events=self.record_events
            )
            refreshed.scopes.update(organization_scope(login) for login in stored.owners)
            return stored.rows_written, refreshed

        return await self.run(work)
