"""SQL of the users list: one page of the organizations using a package, from the rollup or an
exact aggregate, with their readiness and the signals their sponsorship object shows."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from app.core.readiness import SPONSORS_OTHERS_BIT, score_sql
from app.models import Organization, PackageDependent, PackageUsage
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


class PackageUsersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _rollup(
        self, package_id: uuid.UUID, owner_type: str | None, uf: UserFilter
    ) -> list[ColumnElement[bool]]:
        conditions = [_pu.c.package_id == package_id]
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
                *SIGNALS,
            )
            .join(_org, _org.c.id == _pu.c.organization_id)
            .where(*self._rollup(package_id, owner_type, uf))
        )
        key = sort_key(sort, _pu.c)
        result = await self._session.execute(
            keyset_page(stmt, sort, key, _pu.c.organization_id, after, limit)
        )
        return list(result.all())

    async def count_users_rollup(
        self, package_id: uuid.UUID, owner_type: str | None, uf: UserFilter
    ) -> int:
        result = await self._session.execute(
            select(func.count()).select_from(_pu).where(*self._rollup(package_id, owner_type, uf))
        )
        return int(result.scalar_one())

    async def find_organization(
        self, package_id: uuid.UUID, login: str
    ) -> tuple[uuid.UUID | None, bool]:
        """The organization `login` and whether it has a rollup row for the package, in one
        round trip; (None, False) when wump has no such organization."""
        result = await self._session.execute(
            select(_org.c.id, _pu.c.organization_id.is_not(None).label("in_rollup"))
            .select_from(_org)
            .outerjoin(_pu, (_pu.c.package_id == package_id) & (_pu.c.organization_id == _org.c.id))
            .where(func.lower(_org.c.login) == login.lower())
        )
        row = result.first()
        return (row.id, bool(row.in_rollup)) if row is not None else (None, False)

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
        matched = (
            select(
                _pd.c.organization_id,
                _pd.c.primary_language,
                func.count().label("n"),
                func.sum(_pd.c.stars).label("s"),
                func.max(_pd.c.pushed_at).label("p"),
                func.bit_or(_pd.c.kinds).label("k"),
            )
            .where(_pd.c.package_id == package_id, *dependent_conditions(f))
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
        scored = (
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
        conditions = user_conditions(
            uf, scored.c.organization_id, scored.c.readiness, scored.c.readiness_rules
        )
        total = (
            select(func.count()).select_from(scored).where(*conditions).scalar_subquery()
        ).label("total")
        stmt: Select[Any] = select(scored, total).where(*conditions)
        key = sort_key(sort, scored.c)
        result = await self._session.execute(
            keyset_page(stmt, sort, key, scored.c.organization_id, after, limit)
        )
        rows = list(result.all())
        if rows:
            return rows, int(rows[0].total)
        if after is None:
            return rows, 0
        count = await self._session.execute(
            select(func.count()).select_from(scored).where(*conditions)
        )
        return rows, int(count.scalar_one())
