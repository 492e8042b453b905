"""SQL that keeps the per-kind rollup (package_kind_usage) and the packages' `has_kind_usage`
marks in step with package_dependents."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from app.models.dependency import DEPENDENCY_TYPES
from app.models.package_usage import (
    DIRECT,
    KINDS_BITS,
    STORED_VIA_SQL,
    default_view_sql,
    flag_sql,
)
from app.repositories.package_usage import stored_languages_sql

_DEFAULT_VIEW = default_view_sql("pd.flags")
_DIRECT = flag_sql(DIRECT, "pd.flags")
# The kinds mask of a row.
_KINDS = f"pd.flags & {KINDS_BITS}"
# Scopes over package_kind_usage or package_dependents, `{p}` the table's prefix.
_PACKAGES = "{p}package_id = ANY(CAST(:ids AS integer[]))"
# Only the pairs of marked packages: an ingest's pairs of a large organization hold hundreds
# of its dependents each, and only those of marked packages are read.
_PAIRS = (
    "({p}package_id, {p}organization_id) IN (SELECT x.package_id, x.organization_id FROM"
    " unnest(CAST(:pair_packages AS integer[]), CAST(:pair_organizations AS integer[]))"
    " AS x(package_id, organization_id)"
    " JOIN packages k ON k.id = x.package_id AND k.has_kind_usage)"
)


def _insert(scope: str) -> TextClause:
    """INSERT of the rows of the marked packages' dependents matching `scope` (over `pd`): per
    kind of a repository's declarations, its organization's figures as the kind-filtered
    list counts them. The dependents are first grouped by their kinds mask (a few per
    organization), and only those groups are spread over the kinds they hold. A language
    counts only through repositories of direct use, as in the list, so a language group of
    transitive use alone gives no language."""
    dependents = (
        "package_dependents pd JOIN packages pk ON pk.id = pd.package_id AND pk.has_kind_usage"
    )
    where = f"{_DEFAULT_VIEW} {scope}"
    held = (
        f"CROSS JOIN generate_series(0, {len(DEPENDENCY_TYPES) - 1}) AS b(kind)"
        " WHERE m.kinds & (1 << b.kind) <> 0"
    )
    return text(
        "INSERT INTO package_kind_usage (package_id, organization_id, total_stars, latest_push,"
        " repository_count, transitive_repository_count, kind, kinds, languages, via)"
        " WITH per_mask AS ("
        f"  SELECT pd.package_id, pd.organization_id, pd.language_id, {_KINDS} AS kinds,"
        f"   count(*) FILTER (WHERE {_DIRECT}) AS n,"
        f"   count(*) FILTER (WHERE NOT {_DIRECT}) AS t,"
        f"   sum(pd.stars) FILTER (WHERE {_DIRECT}) AS s,"
        f"   max(pd.pushed_at) FILTER (WHERE {_DIRECT}) AS p"
        f"  FROM {dependents} WHERE {where}"
        "  GROUP BY pd.package_id, pd.organization_id, pd.language_id, 4),"
        " matched AS ("
        "  SELECT m.package_id, b.kind, m.organization_id, m.language_id, sum(m.n) AS n,"
        "   sum(m.t) AS t, sum(m.s) AS s, max(m.p) AS p,"
        "   bit_or(m.kinds) FILTER (WHERE m.n > 0) AS k"
        f"  FROM per_mask m {held}"
        "  GROUP BY m.package_id, b.kind, m.organization_id, m.language_id),"
        " named AS ("
        "  SELECT package_id, kind, organization_id, n, t, s, p, k,"
        "   CASE WHEN n > 0 THEN l.name END AS primary_language"
        "  FROM matched LEFT JOIN languages l ON l.id = matched.language_id),"
        " grouped AS ("
        "  SELECT package_id, kind, organization_id, coalesce(sum(s), 0) AS s, max(p) AS p,"
        "   sum(n) AS n, sum(t) AS t, coalesce(bit_or(k), 0) AS k,"
        f"   {stored_languages_sql('primary_language')} AS languages"
        "  FROM named GROUP BY package_id, kind, organization_id),"
        # The repositories of transitive use per direct dependency they arrive through, most
        # first, then by name: what the list's via names.
        " vias AS ("
        f"  SELECT package_id, kind, organization_id, {STORED_VIA_SQL} AS via"
        "  FROM (SELECT m.package_id, b.kind, m.organization_id, m.name,"
        "    CAST(sum(m.c) AS integer) AS c"
        f"   FROM (SELECT pd.package_id, pd.organization_id, {_KINDS} AS kinds, u.name,"
        "    count(*) AS c"
        f"    FROM {dependents}, unnest(string_to_array(pd.via, ' ')) AS u(name)"
        f"    WHERE pd.via IS NOT NULL AND {where}"
        "    GROUP BY pd.package_id, pd.organization_id, 3, u.name) m"
        f"   {held}"
        "   GROUP BY m.package_id, b.kind, m.organization_id, m.name) counted"
        "  GROUP BY package_id, kind, organization_id)"
        " SELECT g.package_id, g.organization_id, s, p, n, t, g.kind, k, languages, v.via"
        " FROM grouped g LEFT JOIN vias v ON v.package_id = g.package_id AND v.kind = g.kind"
        "  AND v.organization_id = g.organization_id"
        # Written in the order a list reads them, so a page's rows share a few heap pages.
        " ORDER BY g.package_id, g.kind, n DESC, s DESC"
    )


class KindUsageRefreshRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rebuild(self, minimum: int, package_ids: Sequence[int] | None = None) -> None:
        """Mark the given packages (or all) by whether `minimum` repositories use them
        directly, from their current counts, and replace their rows."""
        scope: str | None = None
        params: dict[str, Any] = {"minimum": minimum}
        if package_ids is not None:
            scope, params = _PACKAGES, {**params, "ids": list(package_ids)}
        marked = "" if package_ids is None else "AND id = ANY(CAST(:ids AS integer[]))"
        await self._session.execute(
            text(
                "UPDATE packages SET has_kind_usage = repository_count >= :minimum"
                f" WHERE has_kind_usage <> (repository_count >= :minimum) {marked}"
            ),
            params,
        )
        await self._replace(scope, params)

    async def replace_pairs(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Replace the rows of the given (package, organization) pairs of marked packages."""
        await self._replace(
            _PAIRS,
            {
                "pair_packages": [pair[0] for pair in pairs],
                "pair_organizations": [pair[1] for pair in pairs],
            },
        )

    async def start(self, package_ids: Sequence[int], minimum: int) -> None:
        """Mark and fill the given packages that `minimum` repositories now use directly and
        that have no rows yet; a marked package keeps its rows until it is rebuilt whole."""
        started = await self._session.execute(
            text(
                "UPDATE packages SET has_kind_usage = true"
                " WHERE id = ANY(CAST(:ids AS integer[])) AND NOT has_kind_usage"
                " AND repository_count >= :minimum RETURNING id"
            ),
            {"ids": list(package_ids), "minimum": minimum},
        )
        ids = list(started.scalars())
        if ids:
            await self._replace(_PACKAGES, {"ids": ids})

    async def _replace(self, scope: str | None, params: dict[str, Any]) -> None:
        if scope is None:
            await self._session.execute(text("TRUNCATE package_kind_usage"))
            await self._session.execute(_insert(""), params)
            return
        delete = f"DELETE FROM package_kind_usage WHERE {scope.format(p='')}"
        await self._session.execute(text(delete), params)
        await self._session.execute(_insert("AND " + scope.format(p="pd.")), params)
