"""/stats: per-ecosystem counts and most used packages, cached for CACHE_TTL_STATS."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, to_purl
from app.repositories.package import PackageRepository
from app.repositories.stats import StatsRepository
from app.schemas.stats import EcosystemStatsRead, StatsRead, TopPackage
from app.services.usage_cache import UsageCache

TOP_PACKAGES = 10


class StatsService:
    def __init__(self, session: AsyncSession, cache: UsageCache, settings: Settings) -> None:
        self._stats = StatsRepository(session)
        self._packages = PackageRepository(session)
        self._cache = cache
        self._settings = settings

    async def get_json(self) -> bytes:
        async def build() -> bytes:
            return (await self.get()).model_dump_json().encode()

        return await self._cache.get_or_build(
            "stats", None, {}, self._settings.cache_ttl_stats, build
        )

    async def get(self) -> StatsRead:
        known = {e.value for e in Ecosystem}
        rows = [row for row in await self._stats.list_ecosystem_stats() if row.ecosystem in known]
        ecosystems = []
        for row in rows:
            ecosystem = Ecosystem(row.ecosystem)
            top = await self._packages.list_top(ecosystem.value, TOP_PACKAGES)
            ecosystems.append(
                EcosystemStatsRead(
                    ecosystem=ecosystem,
                    packages=row.package_count,
                    organizations=row.organization_count,
                    repositories=row.repository_count,
                    dependencies=row.dependency_count,
                    top_packages=[
                        TopPackage(
                            name=p.name,
                            purl=to_purl(ecosystem, p.name),
                            organization_count=p.organization_count,
                            repository_count=p.repository_count,
                        )
                        for p in top
                    ],
                )
            )
        return StatsRead(
            packages=sum(e.packages for e in ecosystems),
            organizations=await self._stats.count_organizations(),
            repositories=await self._stats.count_repositories(),
            dependencies=sum(e.dependencies for e in ecosystems),
            ecosystems=ecosystems,
            refreshed_at=min((row.refreshed_at for row in rows), default=None),
        )
