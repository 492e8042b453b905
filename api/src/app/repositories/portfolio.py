"""SQL of portfolios: a maintainer's packages, and the organizations using any of them."""

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, Package, PackageUsage
from app.repositories.package_usage import After, AnyRow, UsersSort, keyset_page
from app.repositories.package_users import SIGNALS, UserFilter, user_conditions

PortfolioSort = Literal["packages", "repositories", "readiness", "name"]

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
        they use, default filters), each with the packages it uses; and the exact total."""
        per_org = (
            select(
                _pu.c.organization_id,
                cast(func.count(), Integer).label("package_count"),
                cast(func.sum(_pu.c.repository_count), Integer).label("repository_count"),
                func.max(_pu.c.readiness).label("readiness"),
                # The rules of its best-scored package, for the reasons.
                literal_column(
                    "(array_agg(package_usage.readiness_rules ORDER BY package_usage.readiness"
                    " DESC, package_usage.package_id))[1]",
                    SmallInteger,
                ).label("readiness_rules"),
                func.max(_pu.c.latest_push).label("latest_push"),
                func.array_agg(aggregate_order_by(_pu.c.package_id, _pu.c.package_id)).label(
                    "package_ids"
                ),
            )
            .where(_pu.c.package_id.in_(list(package_ids)), _pu.c.has_direct_use.is_(True))
            .group_by(_pu.c.organization_id)
            .cte("per_org")
        )
        scored = (
            select(per_org, func.lower(_org.c.login).collate("C").label("login_key"), *SIGNALS)
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
        key: ColumnElement[Any] = {
            "packages": scored.c.package_count,
            "repositories": scored.c.repository_count,
            "readiness": scored.c.readiness,
            "name": scored.c.login_key,
        }[sort]
        # Only the direction matters to the keyset: names ascend, counts descend.
        order: UsersSort = "name" if sort == "name" else "repositories"
        result = await self._session.execute(
            keyset_page(stmt, order, key, scored.c.organization_id, after, limit)
        )
        rows = list(result.all())
        if rows:
            return rows, int(rows[0].total)
        count = await self._session.execute(
            select(func.count()).select_from(scored).where(*conditions)
        )
        return rows, int(count.scalar_one())
