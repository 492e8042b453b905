"""SQL of a package's charts: counts over its read-side rows under the default filters."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.package_usage import DIRECT, default_view_sql, flag_sql

# Each bucket's label and its oldest push, youngest first: a number of days, or of calendar
# years (a year before 29 February is 28 February, as in PostgreSQL's interval arithmetic).
PUSH_AGE_BUCKETS: tuple[tuple[str, timedelta | int], ...] = (
    ("under 1 month", timedelta(days=30)),
    ("1-3 months", timedelta(days=90)),
    ("3-12 months", 1),
    ("1-2 years", 2),
)
OLDER_LABEL = "over 2 years"
NEVER_LABEL = "never pushed"

# The default users list's rows: direct use, no forks, no archived repositories, no noise.
_DEFAULT_VIEW = f"package_id = :package_id AND {flag_sql(DIRECT)} AND {default_view_sql()}"


@dataclass(frozen=True, slots=True)
class ChartCounts:
    """(language, organizations, repositories) for every language, most organizations first,
    and the repositories per push-age label (those of PUSH_AGE_BUCKETS, older, never)."""

    languages: list[Row[Any]]
    push_ages: dict[str, int]


def _labels() -> list[str]:
    return [label for label, _ in PUSH_AGE_BUCKETS] + [OLDER_LABEL, NEVER_LABEL]


def bucket_bounds(now: datetime) -> list[datetime]:
    """The oldest push of each bucket of PUSH_AGE_BUCKETS, as of `now`."""
    bounds = []
    for _, age in PUSH_AGE_BUCKETS:
        if isinstance(age, timedelta):
            bounds.append(now - age)
            continue
        try:
            bounds.append(now.replace(year=now.year - age))
        except ValueError:  # 29 February
            bounds.append(now.replace(year=now.year - age, day=28))
    return bounds


class PackageChartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def counts(self, package_id: int) -> ChartCounts:
        """Both charts from one pass over the package's rows: grouped per (language,
        organization) in a hash table, then per language, each group carrying its repositories
        per push-age bucket, where a distinct count per language sorts every row and the ages
        take a second pass."""
        # The bounds are parameters: the bucket's expression is repeated in each count below,
        # and date arithmetic per row and per count took three quarters of the time.
        bounds = {f"bound{i}": bound for i, bound in enumerate(bucket_bounds(datetime.now(UTC)))}
        cases = " ".join(f"WHEN pushed_at >= :bound{i} THEN {i}" for i in range(len(bounds)))
        labels = _labels()
        older, never = len(labels) - 2, len(labels) - 1
        per_bucket = ", ".join(
            f"count(*) FILTER (WHERE bucket = {index}) AS b{index}" for index in range(len(labels))
        )
        sums = ", ".join(f"sum(b{index}) AS b{index}" for index in range(len(labels)))
        result = await self._session.execute(
            text(
                "SELECT l.name AS language, per_language.* FROM"
                " (SELECT language_id, count(*) AS organizations, sum(n) AS repositories, "
                + sums
                + " FROM (SELECT language_id, organization_id,"
                " count(*) AS n, " + per_bucket + " FROM (SELECT language_id, organization_id,"
                f" CASE WHEN pushed_at IS NULL THEN {never} {cases} ELSE {older} END AS bucket"
                f" FROM package_dependents WHERE {_DEFAULT_VIEW}) AS dependents"
                " GROUP BY 1, 2) AS per_organization"
                " GROUP BY language_id) AS per_language"
                " LEFT JOIN languages l ON l.id = per_language.language_id"
                " ORDER BY organizations DESC, repositories DESC,"
                ' l.name COLLATE "C" NULLS LAST'
            ),
            {"package_id": package_id, **bounds},
        )
        rows = list(result.all())
        ages = {
            label: sum(int(getattr(row, f"b{index}")) for row in rows)
            for index, label in enumerate(labels)
        }
        return ChartCounts(rows, ages)
