"""SQL of portfolios: a maintainer's packages, and the organizations using any of them."""

import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import (
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

from app.models import Organization, Package, PackageUsage
from app.repositories.package_usage import After, AnyRow, UsersSort, keyset_page
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
        package_ids: Sequence[uuid.UUID],
        uf: UserFilter,
        *,
        sort: PortfolioSort,
        after: After | None,
        limit: int,
    ) -> tuple[list[AnyRow], int]:
        """One page of the organizations using any of the packages (one rollup row per package
        they use directly, default filters), each with the packages it uses; and the exact total.

        Two passes: plain aggregates per organization over every rollup row of the packages (a
        hash aggregate, however many organizations use them), then, for the page's rows only,
        the packages each uses and the rules of its best-scored one (index lookups)."""
        ids = list(package_ids)
        per_org = (
            select(
                _pu.c.organization_id,
                cast(func.count(), Integer).label("package_count"),
                cast(func.sum(_pu.c.repository_count), Integer).label("repository_count"),
                func.max(_pu.c.readiness).label("readiness"),
                # Whether the owner sponsors others is the owner's: the same bit in every row.
                func.bit_or(_pu.c.readiness_rules).label("any_rules"),
                func.max(_pu.c.latest_push).label("latest_push"),
                func.max(_pu.c.login_key).label("login_key"),
            )
            .where(_pu.c.package_id.in_(ids), _pu.c.has_direct_use)
            .group_by(_pu.c.organization_id)
            .cte("per_org")
        )
        conditions = user_conditions(
            uf, per_org.c.organization_id, per_org.c.readiness, per_org.c.any_rules
        )
        # Only the direction matters to the keyset: names ascend, counts descend.
        order: UsersSort = "name" if sort == "name" else "repositories"
        page = keyset_page(
            select(per_org).where(*conditions),
            order,
            per_org.c[_SORT_COLUMNS[sort]],
            per_org.c.organization_id,
            after,
            limit,
        ).subquery("page")
        own = _pu.alias("own")
        uses = (
            select(
                func.array_agg(aggregate_order_by(own.c.package_id, own.c.package_id)).label(
                    "package_ids"
                ),
                # The rules of its best-scored package, for the reasons.
                literal_column(
                    "(array_agg(own.readiness_rules ORDER BY own.readiness DESC,"
                    " own.package_id))[1]",
                    SmallInteger,
                ).label("readiness_rules"),
            )
            .where(
                own.c.package_id.in_(ids),
                own.c.organization_id == page.c.organization_id,
                own.c.has_direct_use,
            )
            .lateral("uses")
        )
        total = (
            select(func.count()).select_from(per_org).where(*conditions).scalar_subquery()
        ).label("total")
        key = page.c[_SORT_COLUMNS[sort]]
        ordering = (
            (key.asc(), page.c.organization_id.asc())
            if order == "name"
            else (key.desc(), page.c.organization_id.desc())
        )
        stmt = (
            select(page, uses.c.package_ids, uses.c.readiness_rules, *SIGNALS, total)
            .join(_org, _org.c.id == page.c.organization_id)
            .join(uses, true())
            .order_by(*ordering)
        )
        rows = list((await self._session.execute(stmt)).all())
        if rows:
            return rows, int(rows[0].total)
        count = await self._session.execute(
            select(func.count()).select_from(per_org).where(*conditions)
        )
        return rows, int(count.scalar_one())
