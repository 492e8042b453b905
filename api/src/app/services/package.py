"""Package use cases: lookup, search, and the question wump exists for, who uses a package."""

import asyncio
from contextlib import suppress
from datetime import UTC, datetime, time
from urllib.parse import quote

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ecosystems import Ecosystem, InvalidPurl, from_purl, normalize_name, to_purl
from app.core.errors import (
    AmbiguousPackage,
    InvalidPackageUrl,
    OrganizationNotFound,
    PackageNotFound,
)
from app.models import Package
from app.models.dependency import DEPENDENCY_TYPES
from app.models.package_usage import kinds_from_mask, kinds_mask, via_pairs
from app.repositories.organization import OrganizationRepository
from app.repositories.package import PackageRepository
from app.repositories.package_samples import PackageSamplesRepository, reads_language_range
from app.repositories.package_usage import AnyRow, DependentFilter, PackageUsageRepository
from app.repositories.package_user_uses import UseCounts, UserUsesRepository
from app.repositories.package_users import OwnRow, PackageUsersRepository, UserFilter
from app.repositories.package_users_filtered import FilteredUsersRepository
from app.repositories.package_users_kind import KindUsersRepository
from app.schemas.package import (
    Declaration,
    PackageRead,
    PackageSearchQuery,
    PackageUserRead,
    PackageUsersPage,
    PackageUsersQuery,
    SampleRepository,
    UsageFilters,
    UserRepositoriesQuery,
    UserRepositoryRead,
)
from app.schemas.pagination import Page
from app.services.funding import readiness_fields, sponsorship_fields
from app.services.paging import Cached, Keyset, Listing, paginate
from app.services.usage_cache import UsageCache, package_scope

_SEARCH = Keyset("packages", "organization_count", "int")
_USER_ITEMS = TypeAdapter(list[PackageUserRead])
_USERS = {
    # Ties by stars, then login: a three-part cursor (login is unique).
    "repositories": Keyset(
        "repositories",
        "repository_count",
        "int",
        then=(("total_stars", "int"), ("login_key", "str")),
    ),
    "stars": Keyset("stars", "total_stars", "int", "organization_id"),
    "recent": Keyset("recent", "latest_push", "datetime", "organization_id"),
    "name": Keyset("name", "login_key", "str", "organization_id"),
    "readiness": Keyset("readiness", "readiness", "int", "organization_id"),
}
_USER_REPOSITORIES = Keyset("stars", "stars", "int", "repository_id")


def dependent_filter(filters: UsageFilters) -> DependentFilter:
    pushed_after = (
        datetime.combine(filters.pushed_after, time.min, tzinfo=UTC)
        if filters.pushed_after is not None
        else None
    )
    return DependentFilter(
        min_stars=filters.min_stars,
        language=filters.language.lower() if filters.language is not None else None,
        pushed_after=pushed_after,
        kinds_mask=kinds_mask(filters.kind) if filters.kind else None,
        include_forks=filters.include_forks,
        include_archived=filters.include_archived,
        include_noise=filters.include_noise,
        owner_type=filters.owner_type,
        dependency=filters.dependency,
    )


def rolled_up_kind(package: Package, query: PackageUsersQuery) -> int | None:
    """The kind (its position in DEPENDENCY_TYPES) whose per-kind rollup rows answer the query
    exactly: one kind, any order, every other filter at its default; else None."""
    kinds = set(query.kind or ())
    if (
        not package.has_kind_usage
        or len(kinds) != 1
        or query.owner_type is not None
        or query.sponsors_others is not None
        or query.min_readiness
        or not query.model_copy(update={"kind": None}).is_default
    ):
        return None
    return DEPENDENCY_TYPES.index(kinds.pop())


def package_read(package: Package) -> PackageRead:
    ecosystem = Ecosystem(package.ecosystem)
    return PackageRead(
        ecosystem=ecosystem,
        name=package.name,
        purl=to_purl(ecosystem, package.name),
        description=package.description,
        repository_url=package.repository_url,
        homepage_url=package.homepage_url,
        latest_version=package.latest_version,
        organization_count=package.organization_count,
        repository_count=package.repository_count,
        transitive_organization_count=package.transitive_organization_count,
    )


def package_cached(
    cache: UsageCache, settings: Settings, kind: str, ecosystem: Ecosystem, name: str, **params: str
) -> Cached:
    """Where a package's lists of `kind` are cached (`users` is its users list)."""
    scope = package_scope(ecosystem.value, normalize_name(ecosystem, name))
    return Cached(cache, kind, scope, settings.cache_ttl_package_users, params)


class PackageService:
    def __init__(self, session: AsyncSession, cache: UsageCache, settings: Settings) -> None:
        self._packages = PackageRepository(session)
        self._usage = PackageUsageRepository(session)
        self._sample_reads = PackageSamplesRepository(session)
        self._users = PackageUsersRepository(session)
        self._filtered = FilteredUsersRepository(session)
        self._uses = UserUsesRepository(session)
        self._kinds = KindUsersRepository(session)
        self._organizations = OrganizationRepository(session)
        self._cache = cache
        self._settings = settings

    async def _require(self, ecosystem: Ecosystem, name: str) -> Package:
        normalized = normalize_name(ecosystem, name)
        package = await self._packages.get_by_name(ecosystem.value, normalized)
        if package is None:
            raise _not_found(ecosystem, name)
        return package

    async def get(self, ecosystem: Ecosystem, name: str) -> PackageRead:
        return package_read(await self._require(ecosystem, name))

    async def get_json(self, ecosystem: Ecosystem, name: str) -> bytes:
        """The package as JSON, cached under the package's generation like its users."""

        async def build() -> bytes:
            return (await self.get(ecosystem, name)).model_dump_json().encode()

        return await self._cached("package", ecosystem, name).build_entry(build)

    async def get_by_purl(self, purl: str) -> PackageRead:
        try:
            coordinate = from_purl(purl)
        except InvalidPurl as error:
            raise InvalidPackageUrl(str(error)[:300]) from None
        return await self.get(coordinate.ecosystem, coordinate.name)

    async def resolve(self, name: str) -> PackageRead:
        """The one package of that name in any ecosystem; raises AmbiguousPackage when several."""
        pairs = {(e.value, normalize_name(e, name)) for e in Ecosystem}
        found = await self._packages.list_by_name(sorted(pairs))
        if not found:
            raise PackageNotFound(f"no package named {name[:200]!r} in any ecosystem")
        if len(found) > 1:
            raise AmbiguousPackage(
                name,
                [
                    {
                        "ecosystem": p.ecosystem,
                        "name": p.name,
                        "organization_count": p.organization_count,
                        "users_url": f"/api/v1/packages/{p.ecosystem}/{quote(p.name, safe='/@:')}"
                        "/users",
                    }
                    for p in found
                ],
            )
        return package_read(found[0])

    def search(self, query: PackageSearchQuery) -> Listing[PackageSearchQuery, PackageRead]:
        """Packages whose name holds `q`, most used first; no total (counting every match of a
        substring would read them all)."""
        return Listing(query, self._search_page, PackageRead, "packages", self._settings)

    async def _search_page(self, query: PackageSearchQuery, limit: int) -> Page[PackageRead]:
        rows = await self._packages.search(
            q=query.q,
            ecosystem=query.ecosystem.value if query.ecosystem else None,
            after=_SEARCH.after(query.cursor),
            limit=limit + 1,
        )
        rows, next_cursor = paginate(rows, limit, _SEARCH)
        return Page(items=[package_read(p) for p in rows], next_cursor=next_cursor)

    async def most_used(self) -> PackageRead | None:
        """The package the most organizations use, None when none is used."""
        found = await self._packages.search(q=None, ecosystem=None, after=None, limit=1)
        if not found or not found[0].organization_count:
            return None
        return package_read(found[0])

    def users(
        self, ecosystem: Ecosystem, name: str, query: PackageUsersQuery
    ) -> Listing[PackageUsersQuery, PackageUserRead]:
        """The organizations that use the package, with an exact total."""

        async def fetch(current: PackageUsersQuery, limit: int) -> PackageUsersPage:
            return await self._users_page(ecosystem, name, current, limit)

        return Listing(
            query,
            fetch,
            PackageUserRead,
            "users",
            self._settings,
            self._cached("users", ecosystem, name),
        )

    def _cached(self, kind: str, ecosystem: Ecosystem, name: str, **params: str) -> Cached:
        return package_cached(self._cache, self._settings, kind, ecosystem, name, **params)

    async def _users_page(
        self, ecosystem: Ecosystem, name: str, query: PackageUsersQuery, limit: int
    ) -> PackageUsersPage:
        found = await self._users.find_package(ecosystem.value, normalize_name(ecosystem, name))
        if found is None:
            raise _not_found(ecosystem, name)
        package, owner = found
        keyset = _USERS[query.sort]
        after = keyset.after(query.cursor)
        f = dependent_filter(query)
        # The organization owning the package's source repository is left out unless asked for.
        own = OwnRow(None, None) if query.include_owner else owner
        # The rollup holds a row for the owner only when it uses the package there.
        excluded = own.id is not None and (own.direct is not None or not query.is_default)
        uf = UserFilter(
            sponsors_others=query.sponsors_others,
            min_readiness=query.min_readiness,
            exclude=(own.id,) if excluded and own.id is not None else (),
        )
        transitive_only: int | None = None
        known: UseCounts | None = None
        kind = rolled_up_kind(package, query)
        if query.is_default:
            rows = await self._users.list_users_rollup(
                package.id,
                owner_type=query.owner_type,
                uf=uf,
                sort=query.sort,
                after=after,
                limit=limit + 1,
            )
            if query.owner_type is None and not uf.narrows:
                total = package.organization_count - (1 if excluded and own.direct else 0)
                transitive_only = package.transitive_organization_count - (
                    1 if excluded and own.direct is False else 0
                )
            else:
                total = await self._users.count_users_rollup(package.id, query.owner_type, uf)
                transitive_only = await self._users.count_users_rollup(
                    package.id, query.owner_type, uf, direct=False
                )
        else:
            if kind is None:
                filtered = await self._filtered.list_users(
                    package.id, f, uf, sort=query.sort, after=after, limit=limit + 1
                )
            else:
                filtered = await self._kinds.list_users(
                    package.id, kind, uf.exclude, sort=query.sort, after=after, limit=limit + 1
                )
            rows, total = filtered.rows, filtered.total
            transitive_only, known = filtered.transitive_only, filtered.uses
        rows, next_cursor = paginate(rows, limit, keyset)
        if query.is_default or kind is not None:
            # Rollup rows carry their organization's use counts and via.
            uses = {
                row.organization_id: (row.repository_count, row.transitive_repository_count)
                for row in rows
            }
            vias = {row.organization_id: via_pairs(row.via) for row in rows}
        else:
            uses, vias = await self._uses.list_use_counts(
                package.id, [row.organization_id for row in rows], f, known
            )
        in_range = f.language is not None and reads_language_range(
            total, len(rows), package.organization_count
        )
        # The samples' statement runs in PostgreSQL while this process builds the items.
        samples = asyncio.ensure_future(self._samples(package.id, rows, f, in_range))
        try:
            await asyncio.sleep(0)
            items = user_items(rows, uses, vias, datetime.now(UTC))
        except BaseException:
            # Stopped before the session is used again.
            samples.cancel()
            with suppress(asyncio.CancelledError):
                await samples
            raise
        by_owner = await samples
        for row, item in zip(rows, items, strict=True):
            item.sample_repositories = by_owner.get(row.organization_id, [])
        return PackageUsersPage(
            items=items,
            next_cursor=next_cursor,
            total=total,
            transitive_only_total=transitive_only,
        )

    async def _samples(
        self, package_id: int, rows: list[AnyRow], f: DependentFilter, in_range: bool
    ) -> dict[int, list[SampleRepository]]:
        """Each organization's most starred repositories."""
        samples: dict[int, list[SampleRepository]] = {}
        found = await self._sample_reads.list_samples(
            package_id, [r.organization_id for r in rows], f, in_range=in_range
        )
        for owner_id, full_name, stars, github_url in found:
            samples.setdefault(owner_id, []).append(
                SampleRepository(full_name=full_name, stars=stars, github_url=github_url)
            )
        return samples

    def user_repositories(
        self, ecosystem: Ecosystem, name: str, login: str, query: UserRepositoriesQuery
    ) -> Listing[UserRepositoriesQuery, UserRepositoryRead]:
        """The organization's repositories that use the package under the filters, most
        starred first, each with the manifests that declare it; with an exact total."""

        async def fetch(current: UserRepositoriesQuery, limit: int) -> Page[UserRepositoryRead]:
            return await self._user_repositories_page(ecosystem, name, login, current, limit)

        cached = self._cached("user-repositories", ecosystem, name, login=login.lower())
        return Listing(
            query, fetch, UserRepositoryRead, f"{login}-repositories", self._settings, cached
        )

    async def _user_repositories_page(
        self,
        ecosystem: Ecosystem,
        name: str,
        login: str,
        query: UserRepositoriesQuery,
        limit: int,
    ) -> Page[UserRepositoryRead]:
        package = await self._require(ecosystem, name)
        organization = await self._organizations.get_by_login(login)
        if organization is None:
            raise OrganizationNotFound(f"no organization {login[:100]!r}")
        f = dependent_filter(query)
        rows = await self._usage.list_user_repositories(
            package.id,
            organization.id,
            f,
            after=_USER_REPOSITORIES.after(query.cursor),
            limit=limit + 1,
        )
        total = await self._usage.count_user_repositories(package.id, organization.id, f)
        rows, next_cursor = paginate(rows, limit, _USER_REPOSITORIES)
        declarations: dict[int, list[Declaration]] = {}
        for d in await self._usage.list_declarations(package.id, [r.repository_id for r in rows]):
            declarations.setdefault(d.repository_id, []).append(
                Declaration(
                    manifest_path=d.manifest_path,
                    requirement=d.requirement,
                    version=d.version,
                    kind=d.dependency_type,
                    is_direct=d.is_direct,
                    via=d.via.split() if d.via else [],
                )
            )
        items = [
            UserRepositoryRead(
                full_name=row.full_name,
                github_url=row.github_url,
                description=row.description,
                stars=row.stars,
                primary_language=row.primary_language,
                is_fork=row.is_fork,
                is_archived=row.is_archived,
                pushed_at=row.pushed_at,
                declarations=declarations.get(row.repository_id, []),
            )
            for row in rows
        ]
        return Page(items=items, next_cursor=next_cursor, total=total)


def user_items(
    rows: list[AnyRow],
    uses: UseCounts,
    vias: dict[int, list[tuple[str, int]]],
    now: datetime,
) -> list[PackageUserRead]:
    """A users page's items from its rows and what was read beside them, all but their sample
    repositories: built as plain fields and validated at once (a model per item and per nested
    object cost more)."""
    items = []
    for row in rows:
        direct, transitive = uses.get(row.organization_id, (0, 0))
        items.append(
            {
                "login": row.login,
                "name": row.name,
                "owner_type": row.owner_type,
                "github_url": row.github_url,
                "website_url": row.website_url,
                "repository_count": row.repository_count,
                "direct_repository_count": direct,
                "transitive_repository_count": transitive,
                "via": [
                    {"name": name, "repository_count": count}
                    for name, count in vias.get(row.organization_id, [])
                ],
                "total_stars": row.total_stars,
                "languages": row.languages,
                "latest_push": row.latest_push,
                "kinds": kinds_from_mask(row.kinds),
                "sample_repositories": [],
                "readiness": readiness_fields(row, now),
                "sponsorship": sponsorship_fields(row),
            }
        )
    return _USER_ITEMS.validate_python(items)


def _not_found(ecosystem: Ecosystem, name: str) -> PackageNotFound:
    return PackageNotFound(f"no {ecosystem.value} package named {name[:200]!r}")
