"""Crawl: scan repositories' manifests concurrently while one writer stores finished scans."""

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import (
    OrganizationNotFound,
    ProviderBadResponse,
    ProviderForbidden,
    ProviderUnavailable,
    RepositoryNotFound,
)
from app.core.logging import get_logger
from app.manifests import ManifestParseError, detect
from app.providers.base import ProviderRegistry, RepositoryInfo
from app.repositories.ingestion import IngestionRepository
from app.services.funding import gather_signals
from app.services.ingestion.enrichment import enrich_organization, signal_failures, store_owner
from app.services.ingestion.report import IngestReport, Progress, RepositoryFailure, Throttle
from app.services.ingestion.rows import (
    DependencyFacts,
    ScannedRepository,
    facts_from_manifest,
    repository_fields,
)
from app.services.ingestion.writes import Writer, now
from app.services.manifest import ManifestService
from app.services.usage_cache import organization_scope
from app.services.usage_refresh import Refreshed, UsageRefreshService

log = get_logger(__name__)

# A write transaction holds at most this many repositories or dependency rows.
BATCH_REPOSITORIES = 200
BATCH_ROWS = 50_000
# A crawl's writer gathers finished repositories for up to this long, or until this many rows.
BATCH_GATHER_SECONDS = 1.0
BATCH_MIN_ROWS = 10_000
# Parsing a file this large runs in a thread, so the event loop keeps serving other work.
THREAD_PARSE_BYTES = 256 * 1024
# Failures per repository that do not stop a crawl: the client already retried what it could.
REPOSITORY_ERRORS = (ProviderBadResponse, ProviderForbidden, ProviderUnavailable)


def _is_manifest(path: str) -> bool:
    return detect(path) is not None


class Crawler:
    def __init__(
        self,
        providers: ProviderRegistry,
        writer: Writer,
        manifests: ManifestService,
        concurrency: int,
    ) -> None:
        self._providers = providers
        self._writer = writer
        self._manifests = manifests
        self._concurrency = max(1, concurrency)

    async def ingest_organization(
        self, login: str, progress: Progress | None = None
    ) -> IngestReport:
        source = self._providers.organizations("github")
        profile = await source.get_organization(login)
        if profile is None:
            raise OrganizationNotFound(f"GitHub has no organization or user {login!r}")
        listed: dict[str, RepositoryInfo] = {}
        async for info in self._providers.repositories("github").list_repositories(profile.login):
            listed.setdefault(info.full_name.lower(), info)
        # The crawl enriches its owner too: no separate job, no owner without signals.
        signals = await gather_signals(source, profile.login)

        async def store_organization(session: AsyncSession) -> tuple[int, Refreshed]:
            return await store_owner(session, profile, signals)

        organization_id = await self._writer.run(store_organization)
        report = IngestReport(owners=[profile.login], failures=signal_failures(signals))
        throttle = Throttle(progress, report)
        await self.crawl(list(listed.values()), report, throttle)

        async def finish(session: AsyncSession) -> tuple[None, Refreshed]:
            repository = IngestionRepository(session)
            # Deleted, made private or moved away: the listing is the organization's truth.
            gone = await repository.delete_missing_repositories(organization_id, list(listed))
            await repository.update_totals([organization_id])
            if gone:
                log.info("ingest.repositories.deleted", organization=login, count=len(gone))
            # Before the crawl is marked complete: a first crawl's events are all initial.
            refreshed = await UsageRefreshService(session).refresh_repositories(
                list(gone), record_events=self._writer.record_events, deleted=gone
            )
            await repository.mark_crawled(organization_id, now())
            refreshed.scopes.add(organization_scope(profile.login))
            return None, refreshed

        await self._writer.run(finish)
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
        info = await self._providers.repositories("github").get_repository(full_name)
        if info is None:
            raise RepositoryNotFound(f"GitHub has no repository {full_name!r}")
        report = IngestReport(owners=[info.owner])
        throttle = Throttle(progress, report)
        await self.crawl([info], report, throttle)
        try:
            enriched = await enrich_organization(self._providers, self._writer, info.owner)
        except OrganizationNotFound:
            log.warning("ingest.owner.unknown", repository=info.full_name, owner=info.owner)
        else:
            report.failures.extend(enriched.failures)
        await throttle.done()
        return report

    async def crawl(
        self, repositories: Sequence[RepositoryInfo], report: IngestReport, throttle: Throttle
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
        report.records_processed += await self._writer.store(list(unique.values()))
        report.repositories += len(unique)
        for scan in unique.values():
            if scan.scan_error is not None:
                report.failures.append(RepositoryFailure(scan.fields.full_name, scan.scan_error))
                log.warning(
                    "ingest.repository.failed",
                    repository=scan.fields.full_name,
                    reason=scan.scan_error[:500],
                )
