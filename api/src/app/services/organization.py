"""Organization use cases: profile, search, the packages it uses and its repositories."""

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, to_purl
from app.core.errors import OrganizationNotFound
from app.models import Organization, Repository
from app.models.package_usage import VIA_LIMIT, kinds_from_mask, kinds_mask, via_pairs
from app.repositories.organization import OrganizationRepository
from app.repositories.package_usage import PackageUsageRepository
from app.schemas.organization import (
    OrganizationPackageRead,
    OrganizationPackagesQuery,
    OrganizationRead,
    OrganizationRepositoriesQuery,
    OrganizationSearchQuery,
    OrganizationSummary,
)
from app.schemas.package import ViaRead
from app.schemas.pagination import Page
from app.schemas.repository import RepositorySummary
from app.services.funding import sponsorship_fields
from app.services.paging import Cached, Keyset, Listing, paginate
from app.services.usage_cache import UsageCache, organization_scope

_SEARCH = Keyset("organizations", "total_stars", "int")
_PACKAGES = Keyset("repositories", "repository_count", "int", "package_id")
_REPOSITORIES = Keyset("stars", "stars", "int")


def organization_summary(organization: Organization) -> OrganizationSummary:
    return OrganizationSummary.model_validate(organization, from_attributes=True)


def repository_summary(repository: Repository) -> RepositorySummary:
    return RepositorySummary.model_validate(repository, from_attributes=True)


def via_read(stored: str | None, vias: list[str] | None) -> list[ViaRead]:
    """The top direct dependencies a package arrives through: stored with their counts, or
    counted from each transitive repository's via."""
    if vias is not None:
        tally = Counter(name for via in vias for name in via.split())
        ranked = sorted(tally.items(), key=lambda item: (-item[1], item[0]))[:VIA_LIMIT]
        return [ViaRead(name=name, repository_count=count) for name, count in ranked]
    return [ViaRead(name=name, repository_count=count) for name, count in via_pairs(stored)]


class OrganizationService:
    def __init__(self, session: AsyncSession, cache: UsageCache, settings: Settings) -> None:
        self._organizations = OrganizationRepository(session)
        self._usage = PackageUsageRepository(session)
        self._cache = cache
        self._settings = settings

    async def _require(self, login: str) -> Organization:
        organization = await self._organizations.get_by_login(login)
        if organization is None:
            raise OrganizationNotFound(f"no organization {login[:100]!r}")
        return organization

    def _cached(self, kind: str, login: str) -> Cached:
        ttl = self._settings.cache_ttl_organization
        return Cached(self._cache, kind, organization_scope(login), ttl)

    async def get_json(self, login: str) -> bytes:
        """The profile as JSON, from Valkey when a current answer is there."""

        async def build() -> bytes:
            return (await self.get(login)).model_dump_json().encode()

        cached = self._cached("organization", login)
        return await self._cache.get_or_build(cached.kind, cached.scope, {}, cached.ttl, build)

    async def get(self, login: str) -> OrganizationRead:
        organization = await self._require(login)
        return OrganizationRead.model_validate(
            {
                **organization_summary(organization).model_dump(),
                "description": organization.description,
                "location": organization.location,
                "email": organization.email,
                "is_verified": organization.is_verified,
                "sponsorship_url": organization.sponsorship_url,
                "has_sponsors_listing": organization.has_sponsors_listing,
                "twitter_username": organization.twitter_username,
                "sponsorship": sponsorship_fields(organization),
                "repository_count": await self._organizations.count_repositories(organization.id),
                "package_count": await self._usage.count_organization_packages(organization.id),
            }
        )

    def search(
        self, query: OrganizationSearchQuery
    ) -> Listing[OrganizationSearchQuery, OrganizationSummary]:
        """Organizations whose login or name holds `q`, most starred first; no total (counting
        every match of a substring would read them all)."""
        return Listing(
            query, self._search_page, OrganizationSummary, "organizations", self._settings
        )

    async def _search_page(
        self, query: OrganizationSearchQuery, limit: int
    ) -> Page[OrganizationSummary]:
        after = _SEARCH.after(query.cursor)
        rows = await self._organizations.search(q=query.q, after=after, limit=limit + 1)
        rows, next_cursor = paginate(rows, limit, _SEARCH)
        return Page(items=[organization_summary(o) for o in rows], next_cursor=next_cursor)

    def packages(
        self, login: str, query: OrganizationPackagesQuery
    ) -> Listing[OrganizationPackagesQuery, OrganizationPackageRead]:
        async def fetch(
            current: OrganizationPackagesQuery, limit: int
        ) -> Page[OrganizationPackageRead]:
            return await self._packages_page(login, current, limit)

        cached = self._cached("packages", login)
        return Listing(
            query, fetch, OrganizationPackageRead, f"{login}-packages", self._settings, cached
        )

    async def _packages_page(
        self, login: str, query: OrganizationPackagesQuery, limit: int
    ) -> Page[OrganizationPackageRead]:
        organization = await self._require(login)
        rows = await self._usage.list_organization_packages(
            organization.id,
            ecosystem=query.ecosystem.value if query.ecosystem else None,
            kinds_mask=kinds_mask(query.kind) if query.kind else None,
            after=_PACKAGES.after(query.cursor),
            limit=limit + 1,
        )
        total = await self._usage.count_organization_packages(
            organization.id,
            ecosystem=query.ecosystem.value if query.ecosystem else None,
            kinds_mask=kinds_mask(query.kind) if query.kind else None,
        )
        rows, next_cursor = paginate(rows, limit, _PACKAGES)
        items = [
            OrganizationPackageRead(
                ecosystem=Ecosystem(row.ecosystem),
                name=row.name,
                purl=to_purl(Ecosystem(row.ecosystem), row.name),
                repository_count=row.repository_count,
                transitive_repository_count=row.transitive_repository_count,
                via=via_read(row.via, row.vias),
                kinds=kinds_from_mask(row.kinds),
            )
            for row in rows
        ]
        return Page(items=items, next_cursor=next_cursor, total=total)

    def repositories(
        self, login: str, query: OrganizationRepositoriesQuery
    ) -> Listing[OrganizationRepositoriesQuery, RepositorySummary]:
        async def fetch(
            current: OrganizationRepositoriesQuery, limit: int
        ) -> Page[RepositorySummary]:
            return await self._repositories_page(login, current, limit)

        cached = self._cached("repositories", login)
        return Listing(
            query, fetch, RepositorySummary, f"{login}-repositories", self._settings, cached
        )

    async def _repositories_page(
        self, login: str, query: OrganizationRepositoriesQuery, limit: int
    ) -> Page[RepositorySummary]:
        organization = await self._require(login)
        rows = await self._organizations.list_repositories(
            organization.id,
            include_forks=query.include_forks,
            include_archived=query.include_archived,
            after=_REPOSITORIES.after(query.cursor),
            limit=limit + 1,
        )
        total = await self._organizations.count_repositories(
            organization.id,
            include_forks=query.include_forks,
            include_archived=query.include_archived,
        )
        rows, next_cursor = paginate(rows, limit, _REPOSITORIES)
        return Page(
            items=[repository_summary(r) for r in rows], next_cursor=next_cursor, total=total
        )
