"""SQL of what a users page shows beside its figures: each organization's direct and
transitive repositories under the filters, and the direct dependencies the package arrives
through."""

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import PackageDependent
from app.models.package_usage import VIA_LIMIT
from app.repositories.package_usage import DependentFilter, dependent_conditions

_pd = PackageDependent.__table__

# (repositories used directly, repositories used only transitively) per organization.
UseCounts = dict[int, tuple[int, int]]


class UserUsesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_use_counts(
        self,
        package_id: int,
        organization_ids: Sequence[int],
        f: DependentFilter,
        known: Mapping[int, tuple[int, int]] | None = None,
    ) -> tuple[UseCounts, dict[int, list[tuple[str, int]]]]:
        """Per organization, its direct and transitive-only repositories under `f` (whatever
        its `dependency`; taken from `known` when given), and the direct dependencies the
        latter arrive through with their repository counts, most first (at most VIA_LIMIT)."""
        if not organization_ids:
            return {}, {}
        any_use = replace(f, dependency="any")
        if known is None:
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
        else:
            counts = {o: known[o] for o in organization_ids if o in known}
        # Only organizations with transitive repositories have a via to name.
        transitive = [o for o in organization_ids if counts.get(o, (0, 0))[1]]
        if not transitive:
            return counts, {}
        # Grouped by the stored via (most name one package) and split here: unnesting each
        # repository's via in SQL cost more than the grouping.
        named = await self._session.execute(
            select(_pd.c.organization_id, _pd.c.via, func.count())
            .where(
                _pd.c.package_id == package_id,
                _pd.c.organization_id.in_(transitive),
                *dependent_conditions(any_use),
                _pd.c.via.is_not(None),
            )
            .group_by(_pd.c.organization_id, _pd.c.via)
        )
        by_name: dict[int, Counter[str]] = {}
        for organization_id, joined, n in named:
            names = by_name.setdefault(organization_id, Counter())
            for name in joined.split(" "):
                names[name] += n
        # Most repositories first, then by name in byte order (as COLLATE "C").
        via = {
            organization_id: heapq.nsmallest(
                VIA_LIMIT, names.items(), key=lambda item: (-item[1], item[0])
            )
            for organization_id, names in by_name.items()
        }
        return counts, via
