"""SQL of what a users page shows beside its figures: each organization's direct and
transitive repositories under the filters, and the direct dependencies the package arrives
through."""

from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import PackageDependent
from app.models.package_usage import DIRECT, VIA_LIMIT, has_flag, lacks_flag
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
                    func.count().filter(has_flag(_pd.c.flags, DIRECT)),
                    func.count().filter(lacks_flag(_pd.c.flags, DIRECT)),
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
        name = (
            func.unnest(func.string_to_array(_pd.c.via, " ")).table_valued("name").render_derived()
        )
        # Each organization's names ranked, and only the first VIA_LIMIT sent back.
        n = func.count()
        rank = func.row_number().over(
            partition_by=_pd.c.organization_id, order_by=(n.desc(), name.c.name.collate("C"))
        )
        ranked = (
            select(_pd.c.organization_id, name.c.name, n.label("n"), rank.label("rank"))
            .select_from(_pd)
            .join(name, true())
            .where(
                _pd.c.package_id == package_id,
                _pd.c.organization_id.in_(transitive),
                *dependent_conditions(any_use),
                _pd.c.via.is_not(None),
            )
            .group_by(_pd.c.organization_id, name.c.name)
            .subquery("ranked")
        )
        named = await self._session.execute(
            select(ranked.c.organization_id, ranked.c.name, ranked.c.n)
            .where(ranked.c.rank <= VIA_LIMIT)
            .order_by(ranked.c.organization_id, ranked.c.rank)
        )
        via: dict[int, list[tuple[str, int]]] = {}
        for organization_id, via_name, count in named:
            via.setdefault(organization_id, []).append((via_name, int(count)))
        return counts, via
