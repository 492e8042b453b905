"""SQL for /stats: whole-table counts and the per-ecosystem counts kept in ecosystem_stats."""

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import EcosystemStats, Organization, Repository
from app.models.package_usage import DIRECT, default_view_sql, flag_sql


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_organizations(self) -> int:
        result = await self._session.execute(select(func.count()).select_from(Organization))
        return int(result.scalar_one())

    async def count_repositories(self) -> int:
        result = await self._session.execute(select(func.count()).select_from(Repository))
        return int(result.scalar_one())

    async def list_ecosystem_stats(self) -> list[EcosystemStats]:
        result = await self._session.execute(
            select(EcosystemStats).order_by(EcosystemStats.ecosystem)
        )
        return list(result.scalars())

    async def rebuild_ecosystem_stats(self) -> None:
        """Recount every ecosystem from the read-side tables (default filters) and dependencies.

        A plain SELECT first, so PostgreSQL may scan in parallel (it never does for INSERT ...
        SELECT); distinct pairs are grouped by hashing rather than count(DISTINCT), which sorts.
        """
        counts = await self._session.execute(
            text(
                "SELECT e.ecosystem, coalesce(p.n, 0) AS packages,"
                "  coalesce(o.n, 0) AS organizations, coalesce(r.n, 0) AS repositories,"
                "  coalesce(d.n, 0) AS dependencies"
                " FROM (SELECT ecosystem, count(*) AS n FROM packages GROUP BY 1) p"
                " RIGHT JOIN (SELECT DISTINCT ecosystem FROM packages) e USING (ecosystem)"
                " LEFT JOIN (SELECT ecosystem, count(*) AS n FROM ("
                "   SELECT p.ecosystem, u.organization_id FROM package_usage u"
                "   JOIN packages p ON p.id = u.package_id WHERE u.has_direct_use"
                "   GROUP BY 1, 2) x GROUP BY 1) o"
                "  USING (ecosystem)"
                " LEFT JOIN (SELECT ecosystem, count(*) AS n FROM ("
                "   SELECT p.ecosystem, x.repository_id FROM package_dependents x"
                "   JOIN packages p ON p.id = x.package_id"
                f"   WHERE {default_view_sql('x.flags')} AND {flag_sql(DIRECT, 'x.flags')}"
                "   GROUP BY 1, 2) y GROUP BY 1) r"
                "  USING (ecosystem)"
                " LEFT JOIN (SELECT p.ecosystem, sum(c.n) AS n FROM ("
                "   SELECT package_id, count(*) AS n FROM dependencies GROUP BY 1) c"
                "   JOIN packages p ON p.id = c.package_id GROUP BY 1) d"
                "  USING (ecosystem)"
            )
        )
        rows = [dict(row._mapping) for row in counts]
        await self._session.execute(text("DELETE FROM ecosystem_stats"))
        if rows:
            await self._session.execute(
                text(
                    "INSERT INTO ecosystem_stats (ecosystem, package_count, organization_count,"
                    " repository_count, dependency_count, refreshed_at)"
                    " VALUES (:ecosystem, :packages, :organizations, :repositories,"
                    " :dependencies, now())"
                ),
                rows,
            )
