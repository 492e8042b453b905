"""SQL of the users list: one page of the organizations using a package, from the rollup or an
exact aggregate, with their readiness and the signals their sponsorship object shows."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.readiness import SPONSORS_OTHERS_BIT
from app.models import Organization, Package, PackageDependent, PackageUsage
from app.repositories.package_usage import (
    After,
    AnyRow,
    UsersSort,
    keyset_page,
    sort_key,
    stored_languages,
)

_pd = PackageDependent.__table__
_pu = PackageUsage.__table__
_org = Organization.__table__

# What a user's sponsorship object shows, read for the page's rows only.
SIGNALS = (
    _org.c.login,
    _org.c.name,
    _org.c.owner_type,
    _org.c.github_url,
    _org.c.website_url,
    _org.c.email,
    _org.c.twitter_username,
    _org.c.is_verified,
    _org.c.member_count,
    _org.c.has_sponsors_listing,
    _org.c.sponsorship_url,
    _org.c.sponsoring_count,
    _org.c.sponsorships_as_sponsor,
    _org.c.sponsorship_checked_at,
    _org.c.funding_links,
    _org.c.funding_error,
)


@dataclass(frozen=True, slots=True)
class OwnRow:
    """An organization and its package's rollup row: None when it has none, else whether the
    row counts direct use."""

    id: int | None
    direct: bool | None


@dataclass(frozen=True, slots=True)
class UserFilter:
    """Which organizations are listed: readiness conditions and organizations left out."""

    sponsors_others: bool | None = None
    min_readiness: int | None = None
    exclude: tuple[int, ...] = ()

    @property
    def narrows(self) -> bool:
        """True when the rollup's stored totals no longer count the list."""
        return self.sponsors_others is not None or bool(self.min_readiness)


def user_conditions(
    uf: UserFilter, organization_id: Any, readiness: Any, rules: Any
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if uf.sponsors_others is True:
        conditions.append(rules.op("&")(SPONSORS_OTHERS_BIT) != 0)
    elif uf.sponsors_others is False:
        conditions.append(rules.op("&")(SPONSORS_OTHERS_BIT) == 0)
    if uf.min_readiness:
        conditions.append(readiness >= uf.min_readiness)
    if uf.exclude:
        conditions.append(organization_id.not_in(list(uf.exclude)))
    return conditions


def users_page(
    stmt: Select[Any], sort: UsersSort, columns: Any, after: After | None, limit: int
) -> Select[Any]:
    """One keyset page of users. `repositories` (the default) breaks ties by stars, then login:
    ascending over (-repositories, -stars, login), one range of the rollup's index on those
    expressions, so the mixed order (descending, descending, ascending) pages by one row
    comparison; the other sorts break ties by organization id."""
    if sort != "repositories":
        key = sort_key(sort, columns)
        return keyset_page(stmt, sort, key, columns.organization_id, after, limit)
    keys = (-columns.repository_count, -columns.total_stars, columns.login_key)
    if after is not None:
        repositories, stars, login_key = after
        # Typed as the columns, so no cast keeps the comparison off the index.
        bound = tuple_(
            literal(-repositories, Integer),
            literal(-stars, BigInteger),
            literal(login_key, _pu.c.login_key.type),
        )
        stmt = stmt.where(tuple_(*keys) > bound)
    return stmt.order_by(*keys).limit(limit)


def _listed(rows: Any) -> Select[Any]:
    """A users page's columns from rollup rows (the table or a subquery of its columns), with
    their owners'."""
    return select(
        rows.c.organization_id,
        rows.c.repository_count,
        rows.c.total_stars,
        rows.c.latest_push,
        stored_languages(rows.c.languages).label("languages"),
        rows.c.kinds,
        rows.c.login_key,
        rows.c.readiness,
        rows.c.readiness_rules,
        rows.c.transitive_repository_count,
        rows.c.via,
        *SIGNALS,
    ).join(_org, _org.c.id == rows.c.organization_id)


# A users list's first statement, built once: the package and the organization owning its
# source repository, with that organization's rollup row for the package.
_FIND_PACKAGE = (
    select(Package, _org.c.id, _pu.c.has_direct_use)
    .outerjoin(_org, func.lower(_org.c.login) == func.lower(Package.source_owner))
    .outerjoin(_pu, (_pu.c.package_id == Package.id) & (_pu.c.organization_id == _org.c.id))
    .where(Package.ecosystem == bindparam("ecosystem"), Package.name == bindparam("name"))
    # The counts may have been refreshed by SQL in this same session.
    .execution_options(populate_existing=True)
)


class PackageUsersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _rollup(
        self, package_id: int, owner_type: str | None, uf: UserFilter, direct: bool = True
    ) -> list[ColumnElement[bool]]:
        # The bare column, as the partial indexes' predicate reads, so the planner matches it.
        use = _pu.c.has_direct_use if direct else ~_pu.c.has_direct_use
        conditions = [_pu.c.package_id == package_id, use]
        if owner_type is not None:
            conditions.append(_pu.c.owner_is_user.is_(owner_type == "user"))
        conditions += user_conditions(
            uf, _pu.c.organization_id, _pu.c.readiness, _pu.c.readiness_rules
        )
        return conditions

    async def list_users_rollup(
        self,
        package_id: int,
        *,
        owner_type: str | None,
        uf: UserFilter,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> list[AnyRow]:
        """One page of the default view (no forks, no archived) from the rollup."""
        conditions = self._rollup(package_id, owner_type, uf)
        # The sort's index holds the rows of large packages (sort_indexed); a smaller package's
        # rows are read through their own index and ordered. Both sides, each paged, in one
        # statement: right whichever side a package's rows are on.
        sides = [
            users_page(select(_pu).where(*conditions, side), sort, _pu.c, after, limit)
            for side in (_pu.c.sort_indexed, ~_pu.c.sort_indexed)
        ]
        rows = union_all(*sides).subquery("rows")
        page = users_page(select(rows), sort, rows.c, None, limit).subquery("page")
        result = await self._session.execute(users_page(_listed(page), sort, page.c, None, limit))
        return list(result.all())

    async def count_users_rollup(
        self, package_id: int, owner_type: str | None, uf: UserFilter, direct: bool = True
    ) -> int:
        """The rollup's organizations that use the package directly, or (`direct` false) only
        transitively."""
        conditions = self._rollup(package_id, owner_type, uf, direct)
        result = await self._session.execute(
            select(func.count()).select_from(_pu).where(*conditions)
        )
        return int(result.scalar_one())

    async def find_package(self, ecosystem: str, name: str) -> tuple[Package, OwnRow] | None:
        """The package and the organization owning its source repository, with how that
        organization's rollup row for the package counts (OwnRow(None, None) when no
        organization has the owner's login): a users list's lookups in one round trip."""
        result = await self._session.execute(_FIND_PACKAGE, {"ecosystem": ecosystem, "name": name})
        row = result.first()
        if row is None:
            return None
        return row[0], OwnRow(row.id, row.has_direct_use)
