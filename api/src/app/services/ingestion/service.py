"""IngestionService: the one entry point jobs and the CLI call to ingest."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.ecosystems import Ecosystem
from app.manifests import DEFAULT_MAX_BYTES, DEFAULT_VIA_LIMIT
from app.providers.base import ProviderRegistry
from app.repositories.funding import FundingRepository
from app.repositories.ingestion import IngestionRepository
from app.services.ingestion import checkout, discovery, enrichment
from app.services.ingestion.crawl import Crawler
from app.services.ingestion.report import IngestReport, Progress
from app.services.ingestion.writes import Writer, now
from app.services.manifest import ManifestService
from app.services.usage_cache import UsageCache


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
        manifest_via_limit: int = DEFAULT_VIA_LIMIT,
        record_events: bool = True,
    ) -> None:
        self._providers = providers
        self._writer = Writer(session_factory, cache, record_events=record_events)
        self._manifests = ManifestService(manifest_max_bytes, manifest_via_limit)
        self._crawler = Crawler(providers, self._writer, self._manifests, concurrency)

    async def ingest_organization(
        self, login: str, progress: Progress | None = None
    ) -> IngestReport:
        """Crawl every public repository of an organization (or user) and replace each one's
        dependencies with what its manifests declare now. Repositories no longer listed are
        deleted. Raises OrganizationNotFound for an unknown login."""
        return await self._crawler.ingest_organization(login, progress)

    async def ingest_repository(
        self, full_name: str, progress: Progress | None = None
    ) -> IngestReport:
        """Scan one repository and replace its dependencies. Raises RepositoryNotFound."""
        return await self._crawler.ingest_repository(full_name, progress)

    async def discover_package_users(
        self, ecosystem: Ecosystem, name: str, progress: Progress | None = None
    ) -> IngestReport:
        """Store the repositories ecosyste.ms lists as declaring the package, one dependency per
        (repository, manifest) from source "ecosystems", and fill `owners` with their owners'
        logins (to enrich next). Other dependencies of those repositories are left alone;
        this package's ecosyste.ms rows of each listed repository are replaced."""
        return await discovery.discover_package_users(
            self._providers, self._writer, ecosystem, name, progress
        )

    async def enrich_organization(self, login: str) -> IngestReport:
        """Refresh an owner's profile and sponsorship signals and set `enriched_at`. Raises
        OrganizationNotFound for an unknown login."""
        return await enrichment.enrich_organization(self._providers, self._writer, login)

    async def ingest_checkout(self, login: str, repository: str, directory: Path) -> IngestReport:
        """Store the manifests of a local checkout as repository `{login}/{repository}` (source
        "local"), replacing what an earlier run stored; files that fail to parse keep their
        rows, are summed up in `scan_error` and listed in the report's failures."""
        return await checkout.ingest_checkout(
            self._manifests, self._writer, login, repository, directory
        )

    async def list_stale_organizations(self, older_than: timedelta, limit: int) -> list[str]:
        """Logins whose last completed crawl is older than `older_than`, oldest first."""
        async with self._writer.session_factory() as session:
            return await IngestionRepository(session).list_stale(now() - older_than, limit)

    async def list_unenriched_owners(self, older_than: timedelta, limit: int) -> list[str]:
        """Owners no crawl refreshes (known only through discovery) whose signals are older
        than `older_than` or were never gathered, oldest first."""
        async with self._writer.session_factory() as session:
            return await FundingRepository(session).list_unenriched(now() - older_than, limit)
