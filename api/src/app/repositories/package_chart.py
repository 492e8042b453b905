"""SQL of a package's charts: counts over its read-side rows under the default filters."""

import uuid
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class ChartCounts:
    """(language, organizations, repositories) for every language, most organizations first,
    and the repositories per push-age label (those of PUSH_AGE_BUCKETS, older, never)."""

    languages: list[Row[Any]]
    push_ages: dict[str, int]


def _labels() -> list[str]:
    return [label for _, label in PUSH_AGE_BUCKETS] + [OLDER_LABEL, NEVER_LABEL]


class PackageChartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def counts(self, package_id: uuid.UUID) -> ChartCounts:
        """Both charts from one pass over the package's rows: grouped per (language,
        organization) in a hash table, then per language, each group carrying its repositories
        per push-age bucket, where a distinct count per language sorts every row and the ages
        take a second pass."""
        cases = " ".join(
            f"WHEN pushed_at >= now() - interval '{bound}' THEN {index}"
            for index, (bound, _) in enumerate(PUSH_AGE_BUCKETS)
        )
        labels = _labels()
        older, never = len(labels) - 2, len(labels) - 1
        per_bucket = ", ".join(
            f"count(*) FILTER (WHERE bucket = {index}) AS b{index}" for index in range(len(labels))
        )
        sums = ", ".join(f"sum(b{index}) AS b{index}" for index in range(len(labels)))
        result = await self._session.execute(
            text(
                "SELECT language, count(*) AS organizations, sum(n) AS repositories, "
                + sums
                + " FROM (SELECT primary_language AS language, organization_id,"
                " count(*) AS n, " + per_bucket + " FROM (SELECT primary_language, organization_id,"
                f" CASE WHEN pushed_at IS NULL THEN {never} {cases} ELSE {older} END AS bucket"
                f" FROM package_dependents WHERE {_DEFAULT_VIEW}) AS dependents"
                " GROUP BY 1, 2) AS per_organization"
                " GROUP BY language"
                " ORDER BY organizations DESC, repositories DESC,"
                ' language COLLATE "C" NULLS LAST'
            ),
            {"package_id": package_id},
        )
        rows = list(result.all())
        ages = {
            label: sum(int(getattr(row, f"b{index}")) for row in rows)
            for index, label in enumerate(labels)
        }
        return ChartCounts(rows, ages)
