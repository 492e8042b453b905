"""SQL of a package's charts: counts over its read-side rows under the default filters."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

# Upper bounds of each age bucket, youngest first; the label names the bucket.
PUSH_AGE_BUCKETS: tuple[tuple[str, str], ...] = (
    ("30 days", "under 1 month"),
    ("90 days", "1-3 months"),
    ("1 year", "3-12 months"),
    ("2 years", "1-2 years"),
)
OLDER_LABEL = "over 2 years"
NEVER_LABEL = "never pushed"

# The default users list's rows: direct use, no forks, no archived repositories, no noise.
_DEFAULT_VIEW = (
    "package_id = :package_id AND is_direct AND NOT is_fork AND NOT is_archived AND NOT is_noise"
)


class PackageChartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_by_language(self, package_id: uuid.UUID) -> Sequence[Row[Any]]:
        """(language, organizations, repositories) for every language, most organizations first."""
        result = await self._session.execute(
            text(
                "SELECT primary_language AS language,"
                " count(DISTINCT organization_id) AS organizations, count(*) AS repositories"
                f" FROM package_dependents WHERE {_DEFAULT_VIEW}"
                " GROUP BY primary_language"
                " ORDER BY organizations DESC, repositories DESC,"
                ' primary_language COLLATE "C" NULLS LAST'
            ),
            {"package_id": package_id},
        )
        return result.all()

    async def count_by_push_age(self, package_id: uuid.UUID) -> dict[str, int]:
        """Repositories per age bucket of their last push (the buckets of PUSH_AGE_BUCKETS)."""
        cases = " ".join(
            f"WHEN pushed_at >= now() - interval '{bound}' THEN '{label}'"
            for bound, label in PUSH_AGE_BUCKETS
        )
        result = await self._session.execute(
            text(
                f"SELECT CASE WHEN pushed_at IS NULL THEN '{NEVER_LABEL}' {cases}"
                f" ELSE '{OLDER_LABEL}' END AS bucket, count(*) AS repositories"
                f" FROM package_dependents WHERE {_DEFAULT_VIEW} GROUP BY 1"
            ),
            {"package_id": package_id},
        )
        return {row.bucket: int(row.repositories) for row in result}
