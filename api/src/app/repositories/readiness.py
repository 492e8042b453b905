"""SQL of the readiness score: its operands over an organization row, and the rescoring of an
owner's rollup rows after its signals changed."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.readiness import rules_sql, score_sql


def readiness_rules_sql(organization: str, repositories: str, pushed: str) -> str:
    """The rules mask for an organization alias and the repository count and latest push."""
    o = organization
    return rules_sql(
        sponsors=f"greatest(coalesce({o}.sponsoring_count, 0),"
        f" coalesce({o}.sponsorships_as_sponsor, 0))",
        fundable=f"(coalesce({o}.has_sponsors_listing, false)"
        f" OR jsonb_array_length({o}.funding_links) > 0)",
        repositories=repositories,
        pushed=pushed,
        verified=f"{o}.is_verified",
        contact=f"({o}.website_url IS NOT NULL OR {o}.email IS NOT NULL"
        f" OR {o}.twitter_username IS NOT NULL)",
    )


_RESCORE_RULES = readiness_rules_sql("o", "u.repository_count", "u.latest_push")


class ReadinessRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rescore_organization(self, organization_id: int) -> list[tuple[str, str]]:
        """Recompute the readiness of the owner's rollup rows; returns the (ecosystem, name) of
        the packages whose rows changed."""
        result = await self._session.execute(
            text(
                "WITH scored AS ("
                f" SELECT u.package_id, {_RESCORE_RULES} AS rules"
                " FROM package_usage u JOIN organizations o ON o.id = u.organization_id"
                " WHERE u.organization_id = :id),"
                " changed AS ("
                " UPDATE package_usage u SET readiness_rules = s.rules,"
                f"  readiness = {score_sql('s.rules')}"
                " FROM scored s WHERE u.organization_id = :id AND u.package_id = s.package_id"
                "  AND u.readiness_rules IS DISTINCT FROM s.rules"
                " RETURNING u.package_id)"
                " SELECT p.ecosystem, p.name FROM changed c JOIN packages p ON p.id = c.package_id"
                " ORDER BY p.ecosystem, p.name"
            ),
            {"id": organization_id},
        )
        return [(row.ecosystem, row.name) for row in result]
