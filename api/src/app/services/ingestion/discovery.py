"""Package discovery: store the repositories ecosyste.ms lists as declaring a package."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.ecosystems import Ecosystem, normalize_name
from app.core.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderForbidden,
    ProviderUnavailable,
)
from app.core.source_urls import github_source
from app.providers.base import Dependent, ProviderRegistry
from app.repositories.ingestion import DependencyScope, IngestionRepository
from app.repositories.package import PackageRepository
from app.services.funding import listing_links, store_listing_links
from app.services.ingestion.report import IngestReport, Progress, RepositoryFailure, Throttle
from app.services.ingestion.rows import (
    ScannedRepository,
    dependency_columns,
    dependent_fields,
    facts_from_dependent,
)
from app.services.ingestion.writes import Writer, now, write_dependencies
from app.services.usage_cache import package_scope
from app.services.usage_refresh import Refreshed, UsageRefreshService

# Failures of the metadata lookup that leave the package without it, the discovery going on.
METADATA_ERRORS = (ProviderBadResponse, ProviderForbidden, ProviderUnavailable)
# Dependents of a package are stored this many at a time while the listing pages on.
DISCOVERY_BATCH = 1_000


async def discover_package_users(
    providers: ProviderRegistry,
    writer: Writer,
    ecosystem: Ecosystem,
    name: str,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport()
    throttle = Throttle(progress, report)
    await _store_metadata(providers, writer, ecosystem, name, report)
    owners: dict[str, str] = {}
    pending: list[Dependent] = []
    listing = providers.dependents("ecosystems").list_dependents(ecosystem, name)
    try:
        async for dependent in listing:
            host = (dependent.repository.host or "github").lower()
            if host not in ("github", "github.com"):
                continue
            pending.append(dependent)
            owners.setdefault(dependent.repository.owner.lower(), dependent.repository.owner)
            if len({d.repository.full_name.lower() for d in pending}) >= DISCOVERY_BATCH:
                await _store_dependents(writer, ecosystem, name, pending, report)
                pending = []
                await throttle.tick()
    except ProviderError:
        # What was listed before the failure is kept; a retry lists it again.
        await _store_dependents(writer, ecosystem, name, pending, report)
        raise
    await _store_dependents(writer, ecosystem, name, pending, report)
    report.owners = list(owners.values())
    await throttle.done()
    return report


async def _store_metadata(
    providers: ProviderRegistry,
    writer: Writer,
    ecosystem: Ecosystem,
    name: str,
    report: IngestReport,
) -> None:
    """The package's source repository and description, from its registry's metadata. A
    failure is reported and the discovery goes on without it."""
    try:
        metadata = await providers.package_metadata("ecosystems").get_package(ecosystem, name)
    except METADATA_ERRORS as error:
        report.failures.append(RepositoryFailure(f"{ecosystem.value}/{name}", error.detail))
        return
    if metadata is None:
        return
    source = github_source(metadata.repository_url, allow_shorthand=ecosystem is Ecosystem.NPM)
    key = (ecosystem.value, normalize_name(ecosystem, name))

    async def store(session: AsyncSession) -> tuple[None, Refreshed]:
        packages = await IngestionRepository(session).upsert_packages([key])
        await PackageRepository(session).update_metadata(
            packages[key],
            # A GitHub repository is stored in one spelling; other hosts as the registry wrote.
            repository_url=source.url if source else metadata.repository_url,
            source_owner=source.owner.lower() if source else None,
            homepage_url=metadata.homepage,
            description=metadata.description,
            latest_version=metadata.latest_version,
        )
        return None, Refreshed({package_scope(*key)})

    await writer.run(store)


async def _store_dependents(
    writer: Writer,
    ecosystem: Ecosystem,
    name: str,
    dependents: Sequence[Dependent],
    report: IngestReport,
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
    funding = listing_links((d.repository for d in dependents), now())

    async def store(session: AsyncSession) -> tuple[int, Refreshed]:
        repository = IngestionRepository(session)
        owners = await repository.ensure_organizations([s.fields.owner for s in scans.values()])
        await store_listing_links(session, owners, funding)
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
        count = await write_dependencies(repository, rows, scope, now())
        await repository.update_totals(list(owners.values()))
        refreshed = await UsageRefreshService(session).refresh_repositories(
            list(repository_ids.values()), record_events=writer.record_events
        )
        return count, refreshed

    report.records_processed += await writer.run(store)
    report.repositories += len(scans)
