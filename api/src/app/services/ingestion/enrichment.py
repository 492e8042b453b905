"""Enrichment: refresh an owner's profile and sponsorship signals."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.providers.base import ProviderRegistry
from app.repositories.ingestion import IngestionRepository
from app.services.errors import OrganizationNotFound
from app.services.ingestion.report import IngestReport
from app.services.ingestion.rows import organization_fields
from app.services.ingestion.writes import Writer, now
from app.services.usage_cache import organization_scope
from app.services.usage_refresh import Refreshed, UsageRefreshService


async def enrich_organization(
    providers: ProviderRegistry, writer: Writer, login: str
) -> IngestReport:
    source = providers.organizations("github")
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
            enriched_at=now(),
        )
        refreshed = Refreshed({organization_scope(profile.login)})
        if previous_type is not None and previous_type != fields.owner_type:
            # The read side copies the owner type: rebuild this owner's rows.
            ids = await repository.list_repository_ids(organization_id)
            refreshed.scopes |= (
                await UsageRefreshService(session).refresh_repositories(ids)
            ).scopes
        return None, refreshed

    await writer.run(store)
    return IngestReport(owners=[profile.login])
