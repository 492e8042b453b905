"""Ingestion: fetch organizations, repositories and manifests from the providers, then store
them in short transactions and bring the read side up to date."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.ecosystems import Ecosystem, normalize_name
from app.core.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderForbidden,
    ProviderUnavailable,
)
from app.core.logging import get_logger
from app.manifests import DEFAULT_MAX_BYTES, ManifestParseError, detect
from app.providers.base import Dependent, ProviderRegistry, RepositoryInfo
from app.repositories.ingestion import (
    DependencyColumns,
    DependencyScope,
    IngestionRepository,
    ScanState,
)
from app.services.errors import OrganizationNotFound, RepositoryNotFound
from app.services.ingestion_rows import (
    DependencyFacts,
    ScannedRepository,
    dependency_columns,
    dependent_fields,
    facts_from_dependent,
    facts_from_manifest,
    local_fields,
    organization_fields,
    repository_fields,
)
from app.services.manifest import ManifestService
from app.services.package_usage import Refreshed, UsageService
from app.services.usage_cache import UsageCache, organization_scope

log = get_logger(__name__)

T = TypeVar("T")

FAILURES_IN_METADATA = 50
# A write transaction holds at most this many repositories or dependency rows.
BATCH_REPOSITORIES = 200
BATCH_ROWS = 50_000
# A crawl's writer gathers finished repositories for up to this long, or until this many rows.
BATCH_GATHER_SECONDS = 1.0
BATCH_MIN_ROWS = 10_000
# Dependents of a package are stored this many at a time while the listing pages on.
DISCOVERY_BATCH = 1_000
PROGRESS_INTERVAL = 1.0
# Parsing a file this large runs in a thread, so the event loop keeps serving other work.
THREAD_PARSE_BYTES = 256 * 1024
# Failures per repository that do not stop a crawl: the client already retried what it could.
REPOSITORY_ERRORS = (ProviderBadResponse, ProviderForbidden, ProviderUnavailable)
# Deadlock, serialization failure, and a row another transaction inserted between this one's
# read and its insert: all cured by running the idempotent write again.
_TRANSIENT_SQLSTATES = {"40P01", "40001", "23505"}
_WRITE_ATTEMPTS = 3


@dataclass
class RepositoryFailure:
    full_name: str
    reason: str


@dataclass
class IngestReport:
    records_processed: int = 0
    repositories: int = 0
    failures: list[RepositoryFailure] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "records_processed": self.records_processed,
            "repositories": self.repositories,
            "failed_repositories": len(self.failures),
            "failures": [asdict(f) for f in self.failures[:FAILURES_IN_METADATA]],
            "failures_omitted": max(0, len(self.failures) - FAILURES_IN_METADATA),
            "owners": len(self.owners),
        }


Progress = Callable[[IngestReport], Awaitable[None]]


class _Throttle:
    """Calls `progress` at most once per interval, and once more at the end."""

    def __init__(self, progress: Progress | None, report: IngestReport) -> None:
        self._progress = progress
        self._report = report
        self._last = time.monotonic()

    async def tick(self) -> None:
        if self._progress is not None and time.monotonic() - self._last >= PROGRESS_INTERVAL:
            self._last = time.monotonic()
            await self._progress(self._report)

    async def done(self) -> None:
        if self._progress is not None:
            await self._progress(self._report)


def _is_manifest(path: str) -> bool:
    return detect(path) is not None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredScans:
    rows_written: int
    repository_ids: list[uuid.UUID]
    owners: list[str]


async def store_scans(
    session: AsyncSession, scans: Sequence[ScannedRepository], now: datetime
) -> StoredScans:
    """Store scanned repositories and their dependencies in the caller's transaction, without
    refreshing the read side (the caller does, once per transaction)."""
    repository = IngestionRepository(session)
    owners = await repository.ensure_organizations([scan.fields.owner for scan in scans])
    repository_ids = await repository.upsert_repositories(
        [(owners[s.fields.owner.lower()], s.fields, ScanState(now, s.scan_error)) for s in scans]
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
    count = await write_dependencies(repository, dependency_columns(written, packages), scope, now)
    await repository.update_totals(list(owners.values()))
    return StoredScans(count, all_ids, list(owners))


class _WriteConflict(Exception):
    """Rows changed under the transaction between its read and its write; retry it."""


async def write_dependencies(
    repository: IngestionRepository, rows: DependencyColumns, scope: DependencyScope, now: datetime
) -> int:
    """Write the rows; returns how many were inserted or updated."""
    writes = await repository.write_dependencies(rows, scope, now)
    if writes.updated != writes.changed:
        raise _WriteConflict
    return writes.inserted + writes.updated


class IngestionService:
    """Every method fetches first and then writes in short transactions of its own (never one
    across network calls); writes are idempotent upserts on natural keys, so a retried or
    resumed job leaves the same rows. ProviderRateLimited, ProviderUnauthorized and failures
    that make the whole request impossible propagate; one repository's failure is recorded on
    it (`scan_error`) and in the report, and the work goes on."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        providers: ProviderRegistry,
        cache: UsageCache | None,
        *,
        concurrency: int = 8,
        manifest_max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._session_factory = session_factory
        self._providers = providers
        self._cache = cache
        self._concurrency = max(1, concurrency)
        self._manifests = ManifestService(manifest_max_bytes)

    # Organization crawl

    async def ingest_organization(
        self, login: str, progress: Progress | None = None
    ) -> IngestReport:
        """Crawl every public repository of an organization (or user) and replace each one's
        dependencies with what its manifests declare now. Repositories no longer listed are
        deleted. Raises OrganizationNotFound for an unknown login."""
        profile = await self._providers.organizations("github").get_organization(login)
        if profile is None:
            raise OrganizationNotFound(f"GitHub has no organization or user {login!r}")
        listed: dict[str, RepositoryInfo] = {}
        async for info in self._providers.repositories("github").list_repositories(profile.login):
            listed.setdefault(info.full_name.lower(), info)
        fields = organization_fields(profile)

        async def store_organization(session: AsyncSession) -> tuple[uuid.UUID, Refreshed]:
            organization_id, _ = await IngestionRepository(session).upsert_organization(fields)
            return organization_id, Refreshed({organization_scope(profile.login)})

        organization_id = await self._write(store_organization)
        report = IngestReport(owners=[profile.login])
        throttle = _Throttle(progress, report)
        await self._crawl(list(listed.values()), report, throttle)

        async def finish(session: AsyncSession) -> tuple[None, Refreshed]:
            repository = IngestionRepository(session)
            # Deleted, made private or moved away: the listing is the organization's truth.
            gone = await repository.delete_missing_repositories(organization_id, list(listed))
            await repository.update_totals([organization_id])
            await repository.mark_crawled(organization_id, _now())
            if gone:
                log.info("ingest.repositories.deleted", organization=login, count=len(gone))
            refreshed = await UsageService(session).refresh_repositories(gone)
            refreshed.scopes.add(organization_scope(profile.login))
            return None, refreshed

        await self._write(finish)
        await throttle.done()
        log.info(
            "ingest.organization.done",
            organization=profile.login,
            repositories=report.repositories,
            records=report.records_processed,
            failures=len(report.failures),
        )
        return report

    async def ingest_repository(
        self, full_name: str, progress: Progress | None = None
    ) -> IngestReport:
        """Scan one repository and replace its dependencies. Raises RepositoryNotFound."""
        info = await self._providers.repositories("github").get_repository(full_name)
        if info is None:
            raise RepositoryNotFound(f"GitHub has no repository {full_name!r}")
        report = IngestReport(owners=[info.owner])
        throttle = _Throttle(progress, report)
        await self._crawl([info], report, throttle)
        await throttle.done()
        return report

    async def _crawl(
        self, repositories: Sequence[RepositoryInfo], report: IngestReport, throttle: _Throttle
    ) -> None:
        """Scan up to `concurrency` repositories at once; one writer stores finished scans in
        batches while the others are still fetching."""
        finished: asyncio.Queue[ScannedRepository | BaseException] = asyncio.Queue()
        gate = asyncio.Semaphore(self._concurrency)

        async def scan(info: RepositoryInfo) -> None:
            try:
                async with gate:
                    finished.put_nowait(await self._scan_remote(info))
            except BaseException as error:  # handed to the writer, which re-raises it
                finished.put_nowait(error)
                if not isinstance(error, Exception):
                    raise

        loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(scan(info)) for info in repositories]
        try:
            remaining = len(tasks)
            while remaining:
                batch: list[ScannedRepository] = []
                rows = 0
                failure: BaseException | None = None
                item = await finished.get()
                gather_until = loop.time() + BATCH_GATHER_SECONDS
                while True:
                    remaining -= 1
                    if isinstance(item, BaseException):
                        failure = item
                        break
                    batch.append(item)
                    rows += len(item.dependencies)
                    if not remaining or len(batch) >= BATCH_REPOSITORIES or rows >= BATCH_ROWS:
                        break
                    if finished.empty():
                        # A small batch waits a little for more: fewer, larger transactions.
                        wait = gather_until - loop.time()
                        if rows >= BATCH_MIN_ROWS or wait <= 0:
                            break
                        try:
                            item = await asyncio.wait_for(finished.get(), wait)
                        except TimeoutError:
                            break
                        continue
                    item = finished.get_nowait()
                # What was fetched is kept even when the crawl stops here.
                await self._store_scans(batch, report)
                await throttle.tick()
                if failure is not None:
                    raise failure
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _scan_remote(self, info: RepositoryInfo) -> ScannedRepository:
        fields = repository_fields(info)
        source = "github"
        if not info.default_branch:
            return ScannedRepository(fields, "replace", source)
        manifests = self._providers.manifests(source)
        try:
            listing = await manifests.list_manifests(
                info.full_name, info.default_branch, _is_manifest
            )
        except REPOSITORY_ERRORS as error:
            return ScannedRepository(fields, "keep", source, scan_error=error.detail)
        if listing.is_empty:
            return ScannedRepository(fields, "replace", source)
        scan = ScannedRepository(
            fields,
            "replace" if listing.is_complete else "merge",
            source,
            commit_sha=listing.commit_sha,
        )
        problems: list[str] = []
        kept: list[str] = []
        for file in listing.files:
            if file.size is not None and file.size > self._manifests.max_bytes:
                reason = f"{file.size} bytes, over the {self._manifests.max_bytes} limit"
                problems.append(f"{file.path}: {reason}")
                kept.append(file.path)
                continue
            try:
                content = await manifests.fetch_file(info.full_name, file.path, sha=file.sha)
                scan.dependencies.extend(await self._parse(content.data, file.path))
            except ManifestParseError as error:
                problems.append(f"{file.path}: {error.reason}")
                kept.append(file.path)
            except REPOSITORY_ERRORS as error:
                problems.append(f"{file.path}: {error.detail}")
                kept.append(file.path)
        if not listing.is_complete:
            problems.append("the git tree is too large to list completely; stored what was found")
        scan.kept_paths = tuple(kept)
        scan.scan_error = "; ".join(problems) or None
        return scan

    async def _parse(self, data: bytes, path: str) -> list[DependencyFacts]:
        name = path.rsplit("/", 1)[-1]
        if len(data) >= THREAD_PARSE_BYTES:
            result = await asyncio.to_thread(self._manifests.parse_bytes, data, name, path=path)
        else:
            result = self._manifests.parse_bytes(data, name, path=path)
        return list(facts_from_manifest(result.dependencies))

    async def _store_scans(self, scans: Sequence[ScannedRepository], report: IngestReport) -> None:
        if not scans:
            return
        unique = {scan.fields.full_name.lower(): scan for scan in scans}

        async def store(session: AsyncSession) -> tuple[int, Refreshed]:
            return await self._store_in(session, list(unique.values()))

        report.records_processed += await self._write(store)
        report.repositories += len(unique)
        for scan in unique.values():
            if scan.scan_error is not None:
                report.failures.append(RepositoryFailure(scan.fields.full_name, scan.scan_error))
                log.warning(
                    "ingest.repository.failed",
                    repository=scan.fields.full_name,
                    reason=scan.scan_error[:500],
                )

    async def _store_in(
        self, session: AsyncSession, scans: Sequence[ScannedRepository]
    ) -> tuple[int, Refreshed]:
        stored = await store_scans(session, scans, _now())
        refreshed = await UsageService(session).refresh_repositories(stored.repository_ids)
        refreshed.scopes.update(organization_scope(login) for login in stored.owners)
        return stored.rows_written, refreshed

    # Package discovery

    async def discover_package_users(
        self, ecosystem: Ecosystem, name: str, progress: Progress | None = None
    ) -> IngestReport:
        """Store the repositories ecosyste.ms lists as declaring the package, one dependency per
        (repository, manifest) from source "ecosystems", and fill `owners` with their owners'
        logins (to enrich next). Other dependencies of those repositories are left alone;
        this package's ecosyste.ms rows of each listed repository are replaced."""
        report = IngestReport()
        throttle = _Throttle(progress, report)
        owners: dict[str, str] = {}
        pending: list[Dependent] = []
        listing = self._providers.dependents("ecosystems").list_dependents(ecosystem, name)
        try:
            async for dependent in listing:
                host = (dependent.repository.host or "github").lower()
                if host not in ("github", "github.com"):
                    continue
                pending.append(dependent)
                owners.setdefault(dependent.repository.owner.lower(), dependent.repository.owner)
                if len({d.repository.full_name.lower() for d in pending}) >= DISCOVERY_BATCH:
                    await self._store_dependents(ecosystem, name, pending, report)
                    pending = []
                    await throttle.tick()
        except ProviderError:
            # What was listed before the failure is kept; a retry lists it again.
            await self._store_dependents(ecosystem, name, pending, report)
            raise
        await self._store_dependents(ecosystem, name, pending, report)
        report.owners = list(owners.values())
        await throttle.done()
        return report

    async def _store_dependents(
        self, ecosystem: Ecosystem, name: str, dependents: Sequence[Dependent], report: IngestReport
    ) -> None:
        if not dependents:
            return
        scans: dict[str, ScannedRepository] = {}
        for dependent in dependents:
            key = dependent.repository.full_name.lower()
            scan = scans.setdefault(
                key, ScannedRepository(dependent_fields(dependent), "replace", "ecosystems")
            )
            facts = facts_from_dependent(dependent)
            if facts is not None:
                scan.dependencies.append(facts)
        package_key = (ecosystem.value, normalize_name(ecosystem, name))

        async def store(session: AsyncSession) -> tuple[int, Refreshed]:
            repository = IngestionRepository(session)
            now = _now()
            owners = await repository.ensure_organizations([s.fields.owner for s in scans.values()])
            repository_ids = await repository.upsert_repositories(
                [(owners[s.fields.owner.lower()], s.fields, None) for s in scans.values()]
            )
            written = [(repository_ids[key], scan) for key, scan in scans.items()]
            packages = await repository.upsert_packages([package_key])
            ids = list(repository_ids.values())
            await repository.lock_packages(ids, list(packages.values()))
            scope = DependencyScope(
                replace=ids,
                package_id=packages[package_key],
                # A crawl's evidence (commit, manifest read by wump) outranks the listing's.
                protected_sources=("github", "local"),
                deletable_sources=("ecosystems",),
            )
            rows = dependency_columns(written, packages)
            count = await write_dependencies(repository, rows, scope, now)
            await repository.update_totals(list(owners.values()))
            refreshed = await UsageService(session).refresh_repositories(
                list(repository_ids.values())
            )
            return count, refreshed

        report.records_processed += await self._write(store)
        report.repositories += len(scans)

    # Enrichment

    async def enrich_organization(self, login: str) -> IngestReport:
        """Refresh an owner's profile and sponsorship signals and set `enriched_at`. Raises
        OrganizationNotFound for an unknown login."""
        source = self._providers.organizations("github")
        profile = await source.get_organization(login)
        if profile is None:
            raise OrganizationNotFound(f"GitHub has no organization or user {login!r}")
        signals = await source.get_sponsorship(profile.login)
        fields = organization_fields(profile)
        sponsorship_url: str | None = None
        if signals is not None and signals.has_sponsors_listing:
            sponsorship_url = f"https://github.com/sponsors/{profile.login}"
        elif signals is not None and signals.funding_links:
            sponsorship_url = signals.funding_links[0].url[:500]

        async def store(session: AsyncSession) -> tuple[None, Refreshed]:
            repository = IngestionRepository(session)
            organization_id, previous_type = await repository.upsert_organization(fields)
            await repository.update_profile_extras(
                organization_id,
                has_sponsors_listing=signals.has_sponsors_listing if signals else None,
                sponsoring_count=signals.sponsoring_count if signals else None,
                sponsorship_url=sponsorship_url,
                enriched_at=_now(),
            )
            refreshed = Refreshed({organization_scope(profile.login)})
            if previous_type is not None and previous_type != fields.owner_type:
                # The read side copies the owner type: rebuild this owner's rows.
                ids = await repository.list_repository_ids(organization_id)
                refreshed.scopes |= (await UsageService(session).refresh_repositories(ids)).scopes
            return None, refreshed

        await self._write(store)
        return IngestReport(owners=[profile.login])

    # Local checkouts

    async def ingest_checkout(self, login: str, repository: str, directory: Path) -> IngestReport:
        """Store the manifests of a local checkout as repository `{login}/{repository}` (source
        "local"), replacing what an earlier run stored; files that fail to parse keep their
        rows, are summed up in `scan_error` and listed in the report's failures."""
        result = await asyncio.to_thread(self._manifests.scan, directory)
        fields = local_fields(login, repository)
        scan = ScannedRepository(fields, "replace", "local")
        for manifest in result.results:
            scan.dependencies.extend(facts_from_manifest(manifest.dependencies))
        scan.kept_paths = tuple(error.path for error in result.errors)
        if result.errors:
            first = "; ".join(f"{e.path}: {e.reason}" for e in result.errors[:10])
            more = f" (and {len(result.errors) - 10} more)" if len(result.errors) > 10 else ""
            scan.scan_error = f"{len(result.errors)} file(s) failed: {first}{more}"

        async def store(session: AsyncSession) -> tuple[int, Refreshed]:
            return await self._store_in(session, [scan])

        report = IngestReport(owners=[login])
        report.records_processed = await self._write(store)
        report.repositories = 1
        report.failures = [
            RepositoryFailure(fields.full_name, f"{e.path}: {e.reason}") for e in result.errors
        ]
        return report

    # Staleness

    async def list_stale_organizations(self, older_than: timedelta, limit: int) -> list[str]:
        """Logins whose last completed crawl is older than `older_than`, oldest first."""
        async with self._session_factory() as session:
            return await IngestionRepository(session).list_stale(_now() - older_than, limit)

    # Transactions

    async def _write(self, work: Callable[[AsyncSession], Awaitable[tuple[T, Refreshed]]]) -> T:
        """Run `work` in a transaction of its own, retried on a deadlock or serialization
        failure (all writes are idempotent), then bump the cache scopes it changed."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with self._session_factory() as session, session.begin():
                    value, refreshed = await work(session)
            except _WriteConflict:
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
                await UsageService.bump(self._cache, refreshed)
            return value
        raise AssertionError("unreachable: the last attempt returns or raises")
