"""Portfolios: maintainers own many packages; who uses any of them, and how ready to sponsor."""

from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, InvalidPurl, from_purl, to_purl
from app.core.errors import MaintainerNotFound, PortfolioTooLarge
from app.repositories.organization import OrganizationRepository
from app.repositories.package import PackageRepository
from app.repositories.package_users import UserFilter
from app.repositories.portfolio import PortfolioRepository
from app.schemas.portfolio import PortfolioPage, PortfolioQuery, PortfolioUserRead
from app.services.funding import readiness_fields, sponsorship_fields
from app.services.paging import Keyset, Listing, paginate

_ITEMS = TypeAdapter(list[PortfolioUserRead])
_USERS = {
    "packages": Keyset("packages", "package_count", "int", "organization_id"),
    "repositories": Keyset("repositories", "repository_count", "int", "organization_id"),
    "readiness": Keyset("readiness", "readiness", "int", "organization_id"),
    "name": Keyset("name", "login_key", "str", "organization_id"),
}
# (package id, purl)
Resolved = list[tuple[int, str]]


class PortfolioService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._portfolio = PortfolioRepository(session)
        self._packages = PackageRepository(session)
        self._organizations = OrganizationRepository(session)
        self._settings = settings

    def maintainer(
        self, login: str, query: PortfolioQuery
    ) -> Listing[PortfolioQuery, PortfolioUserRead]:
        """The organizations using any package whose source repository `login` owns; `login`
        itself is left out unless `include_owner`. Raises MaintainerNotFound when it owns no
        package wump knows."""

        async def fetch(current: PortfolioQuery, limit: int) -> PortfolioPage:
            owned = await self._portfolio.list_owned_packages(login)
            if not owned:
                raise MaintainerNotFound(
                    f"no known package has its source repository under the GitHub owner"
                    f" {login[:100]!r}"
                )
            resolved = [(row.id, to_purl(Ecosystem(row.ecosystem), row.name)) for row in owned]
            exclude = await self._owners([login], current.include_owner)
            return await self._page(resolved, [], exclude, current, limit)

        return Listing(query, fetch, PortfolioUserRead, f"{login}-users", self._settings)

    def portfolio(
        self, purls: list[str], query: PortfolioQuery
    ) -> Listing[PortfolioQuery, PortfolioUserRead]:
        """The same for an explicit list of package URLs; the owners of their source
        repositories are left out unless `include_owner`. Raises PortfolioTooLarge."""
        cap = self._settings.portfolio_max_packages
        if len(purls) > cap:
            raise PortfolioTooLarge(len(purls), cap)

        async def fetch(current: PortfolioQuery, limit: int) -> PortfolioPage:
            resolved, unknown, owners = await self._resolve(purls)
            exclude = await self._owners(owners, current.include_owner)
            return await self._page(resolved, unknown, exclude, current, limit)

        return Listing(query, fetch, PortfolioUserRead, "portfolio-users", self._settings)

    async def _resolve(self, purls: list[str]) -> tuple[Resolved, list[str], list[str]]:
        """Known packages (in the request's order, once each), unknown purls, source owners."""
        wanted: dict[tuple[str, str], str] = {}
        unknown: list[str] = []
        for purl in purls:
            try:
                coordinate = from_purl(purl)
            except InvalidPurl:
                unknown.append(purl)
                continue
            wanted.setdefault((coordinate.ecosystem.value, coordinate.name), purl)
        found = {(p.ecosystem, p.name): p for p in await self._packages.list_by_name(list(wanted))}
        resolved: Resolved = []
        owners: list[str] = []
        for key, purl in wanted.items():
            package = found.get(key)
            if package is None:
                unknown.append(purl)
                continue
            resolved.append((package.id, to_purl(Ecosystem(package.ecosystem), package.name)))
            if package.source_owner is not None:
                owners.append(package.source_owner)
        return resolved, unknown, owners

    async def _owners(self, logins: list[str], include: bool) -> tuple[int, ...]:
        if include:
            return ()
        ids = []
        for login in sorted(set(logins)):
            owner = await self._organizations.get_by_login(login)
            if owner is not None:
                ids.append(owner.id)
        return tuple(ids)

    async def _page(
        self,
        resolved: Resolved,
        unknown: list[str],
        exclude: tuple[int, ...],
        query: PortfolioQuery,
        limit: int,
    ) -> PortfolioPage:
        keyset = _USERS[query.sort]
        purls = dict(resolved)
        uf = UserFilter(query.sponsors_others, query.min_readiness, exclude)
        rows, total, transitive_only = (
            await self._portfolio.list_users(
                list(purls),
                uf,
                dependency=query.dependency,
                sort=query.sort,
                after=keyset.after(query.cursor),
                limit=limit + 1,
            )
            if purls
            else ([], 0, 0 if query.dependency == "direct" else None)
        )
        rows, next_cursor = paginate(rows, limit, keyset)
        now = datetime.now(UTC)
        # Plain fields, validated at once: a model per item and per nested object cost more.
        items = _ITEMS.validate_python(
            [
                {
                    "login": row.login,
                    "name": row.name,
                    "owner_type": row.owner_type,
                    "github_url": row.github_url,
                    "website_url": row.website_url,
                    "package_count": row.package_count,
                    "packages": sorted(purls[package_id] for package_id in row.package_ids or ()),
                    "repository_count": row.repository_count,
                    "transitive_repository_count": row.transitive_repository_count,
                    "transitive_packages": sorted(
                        purls[package_id] for package_id in row.transitive_package_ids or ()
                    ),
                    "readiness": readiness_fields(row, now),
                    "sponsorship": sponsorship_fields(row),
                }
                for row in rows
            ]
        )
        return PortfolioPage(
            items=items,
            next_cursor=next_cursor,
            total=total,
            packages=[purl for _, purl in resolved],
            unknown=unknown,
            transitive_only_total=transitive_only,
        )
