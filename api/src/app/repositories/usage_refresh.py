"""SQL that rebuilds the read side (package_dependents, the package_usage rollup, package
counts) from dependencies, repositories and organizations."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dependency import DEPENDENCY_TYPES
from app.models.package_usage import (
    FILTER_INDEX_MIN_REPOSITORIES,
    FILTER_INDEXED,
    NON_USAGE_KINDS,
    SORT_INDEX_MIN_ORGANIZATIONS,
    flag_sql,
)
from app.repositories.derived_rows import (
    DEPENDENT_COLUMNS,
    DEPENDENT_VALUES,
    FILTER_INDEXED_AS_COUNTED,
    FILTER_INDEXED_WHOLE,
    dependent_select,
    insert_usage,
)

# Package ids from the first (inclusive) to the second (exclusive; None: no upper bound).
PackageRange = tuple[int, int | None]


# (package, organization)
Pair = tuple[int, int]
# The rows of the (package, organization) pairs :pair_packages, :pair_organizations; read
# through ix_package_dependents_pair.
PAIR_SCOPE = (
    "(package_id, organization_id) IN (SELECT * FROM"
    " unnest(CAST(:pair_packages AS integer[]), CAST(:pair_organizations AS integer[])))"
)


@dataclass(slots=True)
class CountChange:
    """How a package's default-view counts move when some of its rollup rows are replaced."""

    organizations: int = 0
    repositories: int = 0
    transitive_organizations: int = 0


@dataclass(frozen=True, slots=True)
class DependentChange:
    """A package_dependents row the sync removed, added or updated."""

    package_id: int
    repository_id: int
    organization_id: int
    change: Literal["removed", "added", "updated"]


@dataclass(frozen=True, slots=True)
class RollupCounts:
    repositories: int
    kinds: int


@dataclass(slots=True)
class RollupChanges:
    """Rollup rows of the replaced pairs, before and after: `before` and `after` hold the rows
    of direct use (a pair missing had none), the `transitive_` sets the pairs whose row counted
    only transitive use."""

    before: dict[Pair, RollupCounts] = field(default_factory=dict)
    after: dict[Pair, RollupCounts] = field(default_factory=dict)
    transitive_before: set[Pair] = field(default_factory=set)
    transitive_after: set[Pair] = field(default_factory=set)

    def count_changes(self) -> dict[int, CountChange]:
        """How each package's organization and repository counts moved."""
        changes: dict[int, CountChange] = {}
        for (package_id, _), counts in self.before.items():
            change = changes.setdefault(package_id, CountChange())
            change.organizations -= 1
            change.repositories -= counts.repositories
        for (package_id, _), counts in self.after.items():
            change = changes.setdefault(package_id, CountChange())
            change.organizations += 1
            change.repositories += counts.repositories
        for package_id, _ in self.transitive_before:
            changes.setdefault(package_id, CountChange()).transitive_organizations -= 1
        for package_id, _ in self.transitive_after:
            changes.setdefault(package_id, CountChange()).transitive_organizations += 1
        return changes


class UsageRefreshRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rebuild_dependents(
        self,
        *,
        package_ids: Sequence[int] | None = None,
        package_range: PackageRange | None = None,
    ) -> None:
        """Replace the package_dependents rows of the given packages or package id range (or
        all)."""
        scope, params = _scope("", package_ids, package_range)
        if scope:
            delete = text(f"DELETE FROM package_dependents WHERE {scope}")
            await self._session.execute(delete, params)
        else:
            await self._session.execute(text("TRUNCATE package_dependents"))
        condition = _scope("d.", package_ids, package_range)[0]
        where = f"WHERE {condition} AND" if condition else "WHERE"
        await self._session.execute(
            text(
                f"INSERT INTO package_dependents ({DEPENDENT_COLUMNS})"
                f" {dependent_select(FILTER_INDEXED_WHOLE)}"
                f" {where} d.dependency_type <> ALL(CAST(:non_usage AS dependency_kind[]))"
                " GROUP BY d.package_id, r.id, o.id, l.id"
                # In the pair index's order: one organization's rows of a package, which the
                # refresh of a pair and a users page's sample repositories read, share pages.
                " ORDER BY d.package_id, r.organization_id, r.stars DESC, r.id"
            ),
            {
                **params,
                "kinds": list(DEPENDENCY_TYPES),
                "non_usage": list(NON_USAGE_KINDS),
                "filter_minimum": FILTER_INDEX_MIN_REPOSITORIES,
            },
        )

    async def analyze_dependents(self) -> None:
        await self._session.execute(text("ANALYZE package_dependents"))

    async def sync_dependents(self, repository_ids: Sequence[int]) -> list[DependentChange]:
        """Make the package_dependents rows of the given repositories match their dependencies,
        touching only the rows that differ; returns those rows' changes."""
        ids = {"ids": list(repository_ids), "non_usage": list(NON_USAGE_KINDS)}
        # Stale: the repository no longer declares the package, is gone, or changed owner.
        removed = await self._session.execute(
            text(
                "DELETE FROM package_dependents pd"
                " WHERE pd.repository_id = ANY(CAST(:ids AS integer[]))"
                " AND (NOT EXISTS (SELECT 1 FROM dependencies d"
                "   WHERE d.repository_id = pd.repository_id AND d.package_id = pd.package_id"
                "   AND d.dependency_type <> ALL(CAST(:non_usage AS dependency_kind[])))"
                "  OR NOT EXISTS (SELECT 1 FROM repositories r"
                "   WHERE r.id = pd.repository_id AND r.organization_id = pd.organization_id))"
                " RETURNING pd.package_id, pd.repository_id, pd.organization_id"
            ),
            ids,
        )
        changes = [DependentChange(p, r, o, "removed") for p, r, o in removed]
        upserted = await self._session.execute(
            text(
                f"INSERT INTO package_dependents AS pd ({DEPENDENT_COLUMNS})"
                f" {dependent_select(FILTER_INDEXED_AS_COUNTED)}"
                " WHERE d.repository_id = ANY(CAST(:ids AS integer[]))"
                " AND d.dependency_type <> ALL(CAST(:non_usage AS dependency_kind[]))"
                " GROUP BY d.package_id, r.id, o.id, l.id"
                " ON CONFLICT (package_id, repository_id) DO UPDATE SET"
                f" {', '.join(f'{c} = {v}' for c, v in DEPENDENT_VALUES.items())}"
                f" WHERE ({', '.join(f'pd.{c}' for c in DEPENDENT_VALUES)}) IS DISTINCT FROM"
                f" ({', '.join(DEPENDENT_VALUES.values())})"
                " RETURNING pd.package_id, pd.repository_id, pd.organization_id,"
                " CASE WHEN pd.xmax = 0 THEN 'added' ELSE 'updated' END"
            ),
            {
                **ids,
                "kinds": list(DEPENDENCY_TYPES),
                "filter_minimum": FILTER_INDEX_MIN_REPOSITORIES,
            },
        )
        changes.extend(DependentChange(p, r, o, change) for p, r, o, change in upserted)
        return changes

    async def rebuild_usage(
        self,
        *,
        package_ids: Sequence[int] | None = None,
        package_range: PackageRange | None = None,
    ) -> None:
        """Replace the rollup rows of the given packages or package id range (or all)."""
        scope, params = _scope("", package_ids, package_range)
        if scope:
            await self._session.execute(text(f"DELETE FROM package_usage WHERE {scope}"), params)
        else:
            await self._session.execute(text("TRUNCATE package_usage"))
        await self._session.execute(
            insert_usage(
                f"AND {scope}" if scope else "",
                whole_packages=True,
                sort_minimum=SORT_INDEX_MIN_ORGANIZATIONS,
            ),
            params,
        )

    async def replace_usage_pairs(self, pairs: Sequence[Pair]) -> RollupChanges:
        """Replace the rollup rows of the given (package, organization) pairs; returns the
        replaced and the new rows' counts."""
        params = {
            "pair_packages": [pair[0] for pair in pairs],
            "pair_organizations": [pair[1] for pair in pairs],
        }
        scope = PAIR_SCOPE
        returning = (
            " RETURNING package_id, organization_id, repository_count, kinds, has_direct_use"
        )
        removed = await self._session.execute(
            text(f"DELETE FROM package_usage WHERE {scope}{returning}"), params
        )
        changes = RollupChanges()
        for package_id, organization_id, repositories, kinds, direct in removed:
            if direct:
                changes.before[(package_id, organization_id)] = RollupCounts(repositories, kinds)
            else:
                changes.transitive_before.add((package_id, organization_id))
        added = await self._session.execute(
            insert_usage(
                f"AND {scope}",
                returning,
                whole_packages=False,
                sort_minimum=SORT_INDEX_MIN_ORGANIZATIONS,
            ),
            params,
        )
        for package_id, organization_id, repositories, kinds, direct in added:
            if direct:
                changes.after[(package_id, organization_id)] = RollupCounts(repositories, kinds)
            else:
                changes.transitive_after.add((package_id, organization_id))
        return changes

    async def apply_count_changes(self, changes: dict[int, CountChange]) -> None:
        """Add the changes to the packages' counts (rows locked by the update, so concurrent
        writers add up rather than overwrite each other)."""
        moved = [
            (package_id, change)
            for package_id, change in sorted(changes.items(), key=lambda item: item[0])
            if change.organizations or change.repositories or change.transitive_organizations
        ]
        if not moved:
            return
        crossed = await self._session.execute(
            text(
                "UPDATE packages p SET organization_count = p.organization_count + c.organizations,"
                " repository_count = p.repository_count + c.repositories,"
                " transitive_organization_count = p.transitive_organization_count + c.transitive"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:organizations AS integer[]),"
                "  CAST(:repositories AS integer[]), CAST(:transitive AS integer[]))"
                "  AS c(id, organizations, repositories, transitive)"
                " WHERE p.id = c.id"
                " RETURNING p.id,"
                " p.organization_count - c.organizations AS organization_count_before,"
                " p.organization_count,"
                " p.repository_count - c.repositories AS repository_count_before,"
                " p.repository_count"
            ),
            {
                "ids": [package_id for package_id, _ in moved],
                "organizations": [change.organizations for _, change in moved],
                "repositories": [change.repositories for _, change in moved],
                "transitive": [change.transitive_organizations for _, change in moved],
            },
        )
        counts = list(crossed)
        # A package's rows move into or out of a partial index together when its count crosses
        # the index's threshold: (table, count, threshold, the flag's value, its assignment).
        sides = (
            (
                "package_usage",
                "organization_count",
                SORT_INDEX_MIN_ORGANIZATIONS,
                "t.sort_indexed",
                "sort_indexed = p.organization_count >= :minimum",
            ),
            (
                "package_dependents",
                "repository_count",
                FILTER_INDEX_MIN_REPOSITORIES,
                flag_sql(FILTER_INDEXED, "t.flags"),
                "flags = CASE WHEN p.repository_count >= :minimum"
                f" THEN (t.flags | {FILTER_INDEXED}) ELSE (t.flags & ~{FILTER_INDEXED}) END",
            ),
        )
        for table, count, minimum, flag, assignment in sides:
            flipped = sorted(
                row.id
                for row in counts
                if (row._mapping[f"{count}_before"] >= minimum) != (row._mapping[count] >= minimum)
            )
            if flipped:
                await self._session.execute(
                    text(
                        f"UPDATE {table} t SET {assignment}"
                        " FROM packages p WHERE p.id = ANY(CAST(:ids AS integer[]))"
                        f" AND t.package_id = p.id AND {flag} <> (p.{count} >= :minimum)"
                    ),
                    {"ids": flipped, "minimum": minimum},
                )

    async def update_package_counts(self, package_ids: Sequence[int] | None = None) -> None:
        """Copy each package's rollup totals onto it; rows whose counts hold are not rewritten."""
        scope = "AND p.id = ANY(CAST(:ids AS integer[]))" if package_ids is not None else ""
        params = {"ids": list(package_ids)} if package_ids is not None else {}
        await self._session.execute(
            text(
                f"UPDATE packages p SET {PACKAGE_COUNTS_SET}"
                f" FROM ({PACKAGE_COUNTS_SQL} WHERE true {scope.replace('p.id', 'p2.id')}"
                "  GROUP BY p2.id) c"
                " WHERE p.id = c.id"
                " AND (p.organization_count, p.repository_count, p.transitive_organization_count)"
                "  IS DISTINCT FROM (c.organizations, c.repositories, c.transitive)"
            ),
            params,
        )


# A package's counts from its rollup rows (over `packages p2 LEFT JOIN package_usage u`).
PACKAGE_COUNTS_SQL = (
    "SELECT p2.id, count(u.package_id) FILTER (WHERE u.has_direct_use) AS organizations,"
    " coalesce(sum(u.repository_count) FILTER (WHERE u.has_direct_use), 0) AS repositories,"
    " count(u.package_id) FILTER (WHERE NOT u.has_direct_use) AS transitive"
    " FROM packages p2 LEFT JOIN package_usage u ON u.package_id = p2.id"
)
PACKAGE_COUNTS_SET = (
    "organization_count = c.organizations, repository_count = c.repositories,"
    " transitive_organization_count = c.transitive"
)


def _scope(
    prefix: str,
    package_ids: Sequence[int] | None,
    package_range: PackageRange | None,
) -> tuple[str, dict[str, Any]]:
    if package_ids is not None:
        return f"{prefix}package_id = ANY(CAST(:ids AS integer[]))", {"ids": list(package_ids)}
    if package_range is not None:
        low, high = package_range
        scope = f"{prefix}package_id >= CAST(:low AS integer)"
        if high is not None:
            scope += f" AND {prefix}package_id < CAST(:high AS integer)"
        return scope, {"low": low, "high": high}
    return "", {}
