"""Organization use cases: profile, search, the packages it uses and its repositories."""

from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, to_purl
from app.models import Organization, Repository
from app.models.package_usage import kinds_from_mask, kinds_mask
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
from app.schemas.pagination import Page
from app.schemas.repository import RepositorySummary
from app.services.cursor import decode_cursor, encode_cursor
from app.services.errors import OrganizationNotFound
from app.services.paging import cache_params, export_pages, page_limit
from app.services.usage_cache import UsageCache, organization_scope


def organization_summary(organization: Organization) -> OrganizationSummary:
    return OrganizationSummary.model_validate(organization, from_attributes=True)


def repository_summary(repository: Repository) -> RepositorySummary:
    return RepositorySummary.model_validate(repository, from_attributes=True)


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

    async def _cached(
        self,
        kind: str,
        login: str,
        params: dict[str, object],
        build: Callable[[], Awaitable[bytes]],
    ) -> bytes:
        ttl = self._settings.cache_ttl_organization
        return await self._cache.get_or_build(kind, organization_scope(login), params, ttl, build)

    async def get_json(self, login: str) -> bytes:
        async def build() -> bytes:
            return (await self.get(login)).model_dump_json().encode()

        return await self._cached("organization", login, {}, build)

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
                "repository_count": await self._organizations.count_repositories(organization.id),
                "package_count": await self._usage.count_organization_packages(organization.id),
            }
        )

    async def search(
        self, query: OrganizationSearchQuery, limit: int | None = None
    ) -> Page[OrganizationSummary]:
        limit = limit or page_limit(self._settings, query.limit)
        after = decode_cursor(query.cursor, "organizations", "int") if query.cursor else None
        rows = await self._organizations.search(q=query.q, after=after, limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor("organizations", rows[-1].total_stars, rows[-1].id)
        return Page(items=[organization_summary(o) for o in rows], next_cursor=next_cursor)

    async def export_search(
        self, query: OrganizationSearchQuery
    ) -> AsyncIterator[OrganizationSummary]:
        return await export_pages(self.search, query, self._settings.csv_max_rows)

    async def packages_json(self, login: str, query: OrganizationPackagesQuery) -> bytes:
        limit = page_limit(self._settings, query.limit)

        async def build() -> bytes:
            return (await self.packages(login, query)).model_dump_json().encode()

        return await self._cached("packages", login, cache_params(query, limit), build)

    async def packages(
        self, login: str, query: OrganizationPackagesQuery, limit: int | None = None
    ) -> Page[OrganizationPackageRead]:
        limit = limit or page_limit(self._settings, query.limit)
        organization = await self._require(login)
        after = decode_cursor(query.cursor, "repositories", "int") if query.cursor else None
        rows = await self._usage.list_organization_packages(
            organization.id,
            ecosystem=query.ecosystem.value if query.ecosystem else None,
            kinds_mask=kinds_mask(query.kind) if query.kind else None,
            after=after,
            limit=limit + 1,
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_cursor("repositories", last.repository_count, last.package_id)
        items = [
            OrganizationPackageRead(
                ecosystem=Ecosystem(row.ecosystem),
                name=row.name,
                purl=to_purl(Ecosystem(row.ecosystem), row.name),
                repository_count=row.repository_count,
                kinds=kinds_from_mask(row.kinds),
            )
            for row in rows
        ]
        return Page(items=items, next_cursor=next_cursor)

    async def export_packages(
        self, login: str, query: OrganizationPackagesQuery
    ) -> AsyncIterator[OrganizationPackageRead]:
        async def fetch(
            current: OrganizationPackagesQuery, limit: int
        ) -> Page[OrganizationPackageRead]:
            return await self.packages(login, current, limit)

        return await export_pages(fetch, query, self._settings.csv_max_rows)

    async def repositories_json(self, login: str, query: OrganizationRepositoriesQuery) -> bytes:
        limit = page_limit(self._settings, query.limit)

        async def build() -> bytes:
            return (await self.repositories(login, query)).model_dump_json().encode()

        return await self._cached("repositories", login, cache_params(query, limit), build)

    async def repositories(
        self, login: str, query: OrganizationRepositoriesQuery, limit: int | None = None
    ) -> Page[RepositorySummary]:
        limit = limit or page_limit(self._settings, query.limit)
        organization = await self._require(login)
        after = decode_cursor(query.cursor, "stars", "int") if query.cursor else None
        rows = await self._organizations.list_repositories(
            organization.id,
            include_forks=query.include_forks,
            include_archived=query.include_archived,
            after=after,
            limit=limit + 1,
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor("stars", rows[-1].stars, rows[-1].id)
        return Page(items=[repository_summary(r) for r in rows], next_cursor=next_cursor)

    async def export_repositories(
        self, login: str, query: OrganizationRepositoriesQuery
    ) -> AsyncIterator[RepositorySummary]:
        async def fetch(
            current: OrganizationRepositoriesQuery, limit: int
        ) -> Page[RepositorySummary]:
            return await self.repositories(login, current, limit)

        return await export_pages(fetch, query, self._settings.csv_max_rows)
