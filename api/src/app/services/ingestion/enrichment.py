"""Enrichment: refresh an owner's profile and funding signals (sponsorship, FUNDING.yml)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import OrganizationNotFound
from app.providers.base import OrganizationProfile, ProviderRegistry
from app.repositories.funding import FundingRepository
from app.repositories.ingestion import IngestionRepository
from app.repositories.readiness import ReadinessRepository
from app.services.funding import OwnerSignals, gather_signals, store_signals
from app.services.ingestion.report import IngestReport, RepositoryFailure
from app.services.ingestion.rows import organization_fields
from app.services.ingestion.writes import Writer, now
from app.services.usage_cache import organization_scope, package_scope
from app.services.usage_refresh import Refreshed, UsageRefreshService


async def store_owner(
    session: AsyncSession, profile: OrganizationProfile, signals: OwnerSignals
) -> tuple[int, Refreshed]:
    """Upsert the owner's profile and signals in the caller's transaction; the read side is
    rebuilt for the owner when its type changed (the rollups copy it)."""
    fields = organization_fields(profile)
    repository = IngestionRepository(session)
    organization_id, previous_type = await repository.upsert_organization(fields)
    at = now()
    await store_signals(session, organization_id, signals, at)
    await FundingRepository(session).mark_enriched(organization_id, at)
    refreshed = Refreshed({organization_scope(profile.login)})
    # The readiness of the rollup rows follows the owner's signals.
    rescored = await ReadinessRepository(session).rescore_organization(organization_id)
    refreshed.scopes.update(package_scope(ecosystem, name) for ecosystem, name in rescored)
    if previous_type is not None and previous_type != fields.owner_type:
        ids = await repository.list_repository_ids(organization_id)
        refreshed.scopes |= (await UsageRefreshService(session).refresh_repositories(ids)).scopes
    return organization_id, refreshed


def signal_failures(signals: OwnerSignals) -> list[RepositoryFailure]:
    """Signal problems as report entries, named after the owner's `.github` repository."""
    return [RepositoryFailure(f"{signals.login}/.github", problem) for problem in signals.problems]


async def enrich_organization(
    providers: ProviderRegistry, writer: Writer, login: str
) -> IngestReport:
    source = providers.organizations("github")
    profile = await source.get_organization(login)
    if profile is None:
        raise OrganizationNotFound(f"GitHub has no organization or user {login!r}")
    signals = await gather_signals(source, profile.login)

    async def store(session: AsyncSession) -> tuple[None, Refreshed]:
        return None, (await store_owner(session, profile, signals))[1]

    await writer.run(store)
    return IngestReport(owners=[profile.login], failures=signal_failures(signals))
