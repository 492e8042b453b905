"""SQL of the users list: one page of the organizations using a package, from the rollup or an
exact aggregate, with their readiness and the signals their sponsorship object shows."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from app.core.readiness import SPONSORS_OTHERS_BIT, score_sql
from app.models import Organization, PackageDependent, PackageUsage
from app.models.package_usage import VIA_LIMIT
from app.repositories.package_usage import (
    LANGUAGES_SQL,
    After,
    AnyRow,
    DependentFilter,
    UsersSort,
    dependent_conditions,
    keyset_page,
    sort_key,
)
from app.repositories.readiness import readiness_rules_sql

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

    id: uuid.UUID | None
    direct: bool | None


@dataclass(frozen=True, slots=True)
class UserFilter:
    """Which organizations are listed: readiness conditions and organizations left out."""

    sponsors_others: bool | None = None
    min_readiness: int | None = None
    exclude: tuple[uuid.UUID, ...] = ()

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


class PackageUsersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _rollup(
        self, package_id: uuid.UUID, owner_type: str | None, uf: UserFilter, direct: bool = True
    ) -> list[ColumnElement[bool]]:
        # The bare column, as the partial indexes' predicate reads, so the planner matches it.
        use = _pu.c.has_direct_use if direct else ~_pu.c.has_direct_use
        conditions = [_pu.c.package_id == package_id, use]
        if owner_type is not None:
            conditions.append(_pu.c.owner_type == owner_type)
        conditions += user_conditions(
            uf, _pu.c.organization_id, _pu.c.readiness, _pu.c.readiness_rules
        )
        return conditions

    async def list_users_rollup(
        self,
        package_id: uuid.UUID,
        *,
        owner_type: str | None,
        uf: UserFilter,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> list[AnyRow]:
        """One page of the default view (no forks, no archived) from the rollup."""
        stmt = (
            select(
                _pu.c.organization_id,
                _pu.c.repository_count,
                _pu.c.total_stars,
                _pu.c.latest_push,
                _pu.c.languages,
                _pu.c.kinds,
                _pu.c.login_key,
                _pu.c.readiness,
                _pu.c.readiness_rules,
                _pu.c.transitive_repository_count,
                _pu.c.via,
                _pu.c.via_counts,
                *SIGNALS,
            )
            .join(_org, _org.c.id == _pu.c.organization_id)
            .where(*self._rollup(package_id, owner_type, uf))
        )
        result = await self._session.execute(users_page(stmt, sort, _pu.c, after, limit))
        return list(result.all())

    async def count_users_rollup(
        self, package_id: uuid.UUID, owner_type: str | None, uf: UserFilter, direct: bool = True
    ) -> int:
        """The rollup's organizations that use the package directly, or (`direct` false) only
        transitively."""
        conditions = self._rollup(package_id, owner_type, uf, direct)
        result = await self._session.execute(
            select(func.count()).select_from(_pu).where(*conditions)
        )
        return int(result.scalar_one())

    async def find_organization(self, package_id: uuid.UUID, login: str) -> OwnRow:
        """The organization `login` and how its rollup row for the package counts, in one round
        trip."""
        result = await self._session.execute(
            select(_org.c.id, _pu.c.has_direct_use)
            .select_from(_org)
            .outerjoin(_pu, (_pu.c.package_id == package_id) & (_pu.c.organization_id == _org.c.id))
            .where(func.lower(_org.c.login) == login.lower())
        )
        row = result.first()
        if row is None:
            return OwnRow(None, None)
        return OwnRow(row.id, row.has_direct_use)

    async def list_use_counts(
        self, package_id: uuid.UUID, organization_ids: Sequence[uuid.UUID], f: DependentFilter
    ) -> tuple[dict[uuid.UUID, tuple[int, int]], dict[uuid.UUID, list[tuple[str, int]]]]:
        """Per organization, its direct and transitive-only repositories under `f` (whatever
        its `dependency`), and the direct dependencies the latter arrive through with their
        repository counts, most first (at most VIA_LIMIT)."""
        if not organization_ids:
            return {}, {}
        any_use = replace(f, dependency="any")
        scope = [
            _pd.c.package_id == package_id,
            _pd.c.organization_id.in_(list(organization_ids)),
            *dependent_conditions(any_use),
        ]
        counted = await self._session.execute(
            select(
                _pd.c.organization_id,
                func.count().filter(_pd.c.is_direct.is_(True)),
                func.count().filter(_pd.c.is_direct.is_(False)),
            )
            .where(*scope)
            .group_by(_pd.c.organization_id)
        )
        counts = {row[0]: (int(row[1]), int(row[2])) for row in counted}
        name = (
            func.unnest(func.string_to_array(_pd.c.via, " ")).table_valued("name").render_derived()
        )
        named = await self._session.execute(
            select(_pd.c.organization_id, name.c.name, func.count().label("n"))
            .select_from(_pd)
            .join(name, true())
            .where(*scope, _pd.c.via.is_not(None))
            .group_by(_pd.c.organization_id, name.c.name)
            .order_by(_pd.c.organization_id, func.count().desc(), name.c.name.collate("C"))
        )
        via: dict[uuid.UUID, list[tuple[str, int]]] = {}
        for organization_id, via_name, n in named:
            names = via.setdefault(organization_id, [])
            if len(names) < VIA_LIMIT:
                names.append((via_name, int(n)))
        return counts, via

    async def list_users_filtered(
        self,
        package_id: uuid.UUID,
        f: DependentFilter,
        uf: UserFilter,
        *,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> tuple[list[AnyRow], int]:
        """One page of an exact aggregate over the package's dependents, and the exact total;
        readiness is scored over the repositories the filters keep."""
        scored = _scored(package_id, f)
        conditions = user_conditions(
            uf, scored.c.organization_id, scored.c.readiness, scored.c.readiness_rules
        )
        total = (
            select(func.count()).select_from(scored).where(*conditions).scalar_subquery()
        ).label("total")
        stmt: Select[Any] = select(scored, total).where(*conditions)
        result = await self._session.execute(users_page(stmt, sort, scored.c, after, limit))
        rows = list(result.all())
        if rows:
            return rows, int(rows[0].total)
        if after is None:
            return rows, 0
        count = await self._session.execute(
            select(func.count()).select_from(scored).where(*conditions)
        )
        return rows, int(count.scalar_one())

    async def count_transitive_only(
        self, package_id: uuid.UUID, f: DependentFilter, uf: UserFilter
    ) -> int:
        """The organizations that a `dependency=direct` list of `f` leaves out because their
        matching repositories use the package only transitively (scored over those)."""
        scored = _scored(package_id, replace(f, dependency="transitive"), without_direct=f)
        conditions = user_conditions(
            uf, scored.c.organization_id, scored.c.readiness, scored.c.readiness_rules
        )
        result = await self._session.execute(
            select(func.count()).select_from(scored).where(*conditions)
        )
        return int(result.scalar_one())


def _scored(
    package_id: uuid.UUID, f: DependentFilter, without_direct: DependentFilter | None = None
) -> Any:
    """Per organization, the aggregate of its repositories matching `f`, scored for readiness,
    as a CTE; with `without_direct`, only organizations with no repository matching that."""
    where = [_pd.c.package_id == package_id, *dependent_conditions(f)]
    if without_direct is not None:
        direct = _pd.alias("direct")
        where.append(
            ~select(direct.c.repository_id)
            .where(
                direct.c.package_id == package_id,
                direct.c.organization_id == _pd.c.organization_id,
                *dependent_conditions(without_direct, direct),
            )
            .exists()
        )
    matched = (
        select(
            _pd.c.organization_id,
            _pd.c.primary_language,
            func.count().label("n"),
            func.sum(_pd.c.stars).label("s"),
            func.max(_pd.c.pushed_at).label("p"),
            func.bit_or(_pd.c.kinds).label("k"),
        )
        .where(*where)
        .group_by(_pd.c.organization_id, _pd.c.primary_language)
        .cte("matched")
    )
    per_org = (
        select(
            matched.c.organization_id,
            cast(func.sum(matched.c.n), Integer).label("repository_count"),
            cast(func.sum(matched.c.s), BigInteger).label("total_stars"),
            func.max(matched.c.p).label("latest_push"),
            func.bit_or(matched.c.k).label("kinds"),
            literal_column(LANGUAGES_SQL).label("languages"),
        )
        .group_by(matched.c.organization_id)
        .cte("per_org")
    )
    rules: ColumnClause[Any] = literal_column(
        readiness_rules_sql("organizations", "per_org.repository_count", "per_org.latest_push"),
        SmallInteger,
    )
    return (
        select(
            per_org,
            func.lower(_org.c.login).collate("C").label("login_key"),
            rules.label("readiness_rules"),
            literal_column(score_sql(str(rules)), SmallInteger).label("readiness"),
            *SIGNALS,
        )
        .join(_org, _org.c.id == per_org.c.organization_id)
        .cte("scored")
    )
