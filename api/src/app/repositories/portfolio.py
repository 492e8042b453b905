"""SQL of portfolios: a maintainer's packages, and the organizations using any of them."""

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    SmallInteger,
    cast,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import CTE

from app.models import Organization, Package, PackageUsage
from app.repositories.package_usage import (
    After,
    AnyRow,
    DependencyUse,
    UsersSort,
    keyset_page,
)
from app.repositories.package_users import SIGNALS, UserFilter, user_conditions

PortfolioSort = Literal["packages", "repositories", "readiness", "name"]

# The per_org column each sort orders by.
_SORT_COLUMNS = {
    "packages": "package_count",
    "repositories": "repository_count",
    "readiness": "readiness",
    "name": "login_key",
}

_pu = PackageUsage.__table__
_org = Organization.__table__
_pkg = Package.__table__


class PortfolioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_owned_packages(self, login: str) -> list[AnyRow]:
        """(id, ecosystem, name) of the packages whose source repository `login` owns."""
        result = await self._session.execute(
            select(_pkg.c.id, _pkg.c.ecosystem, _pkg.c.name)
            .where(_pkg.c.source_owner == login.lower())
            .order_by(_pkg.c.ecosystem, _pkg.c.name)
        )
        return list(result.all())

    async def list_known_owners(self, logins: Sequence[str]) -> set[str]:
        """The lower-case logins among `logins` that own at least one known package."""
        lowered = sorted({login.lower() for login in logins})
        result = await self._session.execute(
            select(_pkg.c.source_owner).where(_pkg.c.source_owner.in_(lowered)).distinct()
        )
        return set(result.scalars())

    async def list_users(
        self,
        package_ids: Sequence[int],
        uf: UserFilter,
        *,
        dependency: DependencyUse,
        sort: PortfolioSort,
        after: After | None,
        limit: int,
    ) -> tuple[list[AnyRow], int, int | None]:
        """One page of the organizations using any of the packages as `dependency` counts (one
        rollup row per package an organization uses, default filters), each with the packages
        it uses; the exact total; and with `direct`, how many more organizations use them only
        transitively.

        Two passes: plain aggregates per organization over every rollup row of the packages (a
        hash aggregate, however many organizations use them), then, for the page's rows only,
        the packages each uses and the rules of its best-scored one (index lookups)."""
        ids = list(package_ids)
        direct = _pu.c.has_direct_use
        only_direct = dependency == "direct"

        def counted(aggregate: Any) -> Any:
            """The figure over the rows of direct use with `direct`, else over all rows."""
            return aggregate.filter(direct) if only_direct else aggregate

        per_org = (
            select(
                _pu.c.organization_id,
                func.count().filter(direct).label("direct_packages"),
                counted(func.count()).label("packages"),
                func.coalesce(func.sum(_pu.c.repository_count).filter(direct), 0).label(
                    "direct_repositories"
                ),
                # A row's transitive count is its organization's repositories that use the
                # package only transitively, whether or not others use it directly.
                func.sum(_pu.c.transitive_repository_count).label("transitive_repositories"),
                counted(func.max(_pu.c.readiness)).label("readiness"),
                # Transitive-only organizations are scored over their transitive rows.
                func.max(_pu.c.readiness).label("all_readiness"),
                # Whether the owner sponsors others is the owner's: the same bit in every row.
                func.bit_or(_pu.c.readiness_rules).label("any_rules"),
                counted(func.max(_pu.c.latest_push)).label("latest_push"),
                func.max(_pu.c.login_key).label("login_key"),
            )
            .where(_pu.c.package_id.in_(ids))
            .group_by(_pu.c.organization_id)
            .cte("per_org")
        )
        repository_count = {
            "direct": per_org.c.direct_repositories,
            "transitive": per_org.c.transitive_repositories,
            "any": per_org.c.direct_repositories + per_org.c.transitive_repositories,
        }[dependency]
        listed = (
            select(
                per_org.c.organization_id,
                cast(per_org.c.packages, Integer).label("package_count"),
                cast(repository_count, Integer).label("repository_count"),
                cast(per_org.c.transitive_repositories, Integer).label(
                    "transitive_repository_count"
                ),
                per_org.c.readiness,
                per_org.c.any_rules,
                per_org.c.latest_push,
                per_org.c.login_key,
            )
            .where(_listed(dependency, per_org))
            # Inlined where it is read: per_org is computed once, its rows not copied again.
            .cte("listed")
            .prefix_with("NOT MATERIALIZED")
        )
        conditions = user_conditions(
            uf, listed.c.organization_id, listed.c.readiness, listed.c.any_rules
        )
        # Only the direction matters to the keyset: names ascend, counts descend.
        order: UsersSort = "name" if sort == "name" else "repositories"
        page = keyset_page(
            select(listed).where(*conditions),
            order,
            listed.c[_SORT_COLUMNS[sort]],
            listed.c.organization_id,
            after,
            limit,
        ).subquery("page")
        own = _pu.alias("own")
        own_counted = own.c.has_direct_use if only_direct else true()
        uses = (
            select(
                func.array_agg(aggregate_order_by(own.c.package_id, own.c.package_id))
                .filter(own_counted)
                .label("package_ids"),
                func.array_agg(aggregate_order_by(own.c.package_id, own.c.package_id))
                .filter(~own.c.has_direct_use)
                .label("transitive_package_ids"),
                # The rules of its best-scored package, for the reasons.
                literal_column(
                    "(array_agg(own.readiness_rules ORDER BY own.readiness DESC, own.package_id)"
                    f" FILTER (WHERE {'own.has_direct_use' if only_direct else 'true'}))[1]",
                    SmallInteger,
                ).label("readiness_rules"),
            )
            .where(own.c.package_id.in_(ids), own.c.organization_id == page.c.organization_id)
            .lateral("uses")
        )
        totals = [
            select(func.count())
            .select_from(listed)
            .where(*conditions)
            .scalar_subquery()
            .label("total")
        ]
        if only_direct:
            # Scored over their transitive rows, as the users list scores such organizations.
            transitive = user_conditions(
                uf, per_org.c.organization_id, per_org.c.all_readiness, per_org.c.any_rules
            )
            totals.append(
                select(func.count())
                .select_from(per_org)
                .where(_listed("transitive", per_org), *transitive)
                .scalar_subquery()
                .label("transitive_only")
            )
        key = page.c[_SORT_COLUMNS[sort]]
        ordering = (
            (key.asc(), page.c.organization_id.asc())
            if order == "name"
            else (key.desc(), page.c.organization_id.desc())
        )
        stmt = (
            select(
                page,
                uses.c.package_ids,
                uses.c.transitive_package_ids,
                uses.c.readiness_rules,
                *SIGNALS,
                *totals,
            )
            .join(_org, _org.c.id == page.c.organization_id)
            .join(uses, true())
            .order_by(*ordering)
        )
        # One statement: the aggregate runs once for the page and its totals.
        rows = list((await self._session.execute(stmt)).all())
        figures = rows[0] if rows else (await self._session.execute(select(*totals))).one()
        return rows, int(figures.total), int(figures.transitive_only) if only_direct else None


def _listed(dependency: DependencyUse, per_org: CTE) -> ColumnElement[bool]:
    """Which organizations a `dependency` value lists: `direct`, those using at least one of
    the packages directly; `transitive`, those using none directly; `any`, all."""
    if dependency == "direct":
        return per_org.c.direct_packages > 0
    if dependency == "transitive":
        return per_org.c.direct_packages == 0
    return true()
