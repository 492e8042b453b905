"""A package's charts: its users by language and its repositories by age of last push."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, normalize_name
from app.core.errors import PackageNotFound
from app.repositories.package import PackageRepository
from app.repositories.package_chart import PackageChartRepository
from app.schemas.package_chart import LanguageCount, PackageChartsRead, PushAgeCount
from app.services.usage_cache import UsageCache, package_scope

# Languages drawn; the rest are counted in `other_languages`.
TOP_LANGUAGES = 8


class PackageChartService:
    def __init__(self, session: AsyncSession, cache: UsageCache, settings: Settings) -> None:
        self._packages = PackageRepository(session)
        self._charts = PackageChartRepository(session)
        self._cache = cache
        self._settings = settings

    async def charts(self, ecosystem: Ecosystem, name: str) -> PackageChartsRead:
        """Cached under the package's scope, so an ingest that touches it redraws them."""
        normalized = normalize_name(ecosystem, name)

        async def build() -> bytes:
            return (await self._build(ecosystem, normalized)).model_dump_json().encode()

        body = await self._cache.get_or_build(
            "charts",
            package_scope(ecosystem.value, normalized),
            {},
            self._settings.cache_ttl_package_users,
            build,
        )
        return PackageChartsRead.model_validate_json(body)

    async def _build(self, ecosystem: Ecosystem, name: str) -> PackageChartsRead:
        package = await self._packages.get_by_name(ecosystem.value, name)
        if package is None:
            raise PackageNotFound(f"no {ecosystem.value} package named {name[:200]!r}")
        counts = await self._charts.counts(package.id)
        languages = counts.languages
        return PackageChartsRead(
            languages=[
                LanguageCount(
                    language=row.language,
                    organizations=row.organizations,
                    repositories=row.repositories,
                )
                for row in languages[:TOP_LANGUAGES]
            ],
            other_languages=max(0, len(languages) - TOP_LANGUAGES),
            push_ages=[
                PushAgeCount(label=label, repositories=repositories)
                for label, repositories in counts.push_ages.items()
            ],
        )
