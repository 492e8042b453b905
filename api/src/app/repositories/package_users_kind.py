"""SQL of a users list filtered by one kind, from the per-kind rollup (package_kind_usage):
the same page, figures, via and totals as the exact aggregate, read from one index range."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    SmallInteger,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from app.core.readiness import score_sql
from app.models import Organization, PackageKindUsage
from app.repositories.package_usage import After, UsersSort, stored_languages
from app.repositories.package_users import SIGNALS, users_page
from app.repositories.package_users_filtered import FilteredUsers
from app.repositories.readiness import readiness_rules_sql

_pku = PackageKindUsage.__table__
_org = Organization.__table__
_COLUMNS = [c for c in _pku.c if c.name not in ("package_id", "kind")]
# Every order of the users list. The rollup ranks the first three on its own columns;
# `name` and `readiness` rank the kind's rows after joining each to its owner.
KIND_SORTS: tuple[UsersSort, ...] = ("repositories", "stars", "recent", "name", "readiness")
_OWN_SORTS: tuple[UsersSort, ...] = ("stars", "recent")


class KindUsersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_users(
        self,
        package_id: int,
        kind: int,
        exclude: tuple[int, ...],
        *,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> FilteredUsers:
        """One page of the package's users under the kind (its position in DEPENDENCY_TYPES),
        with the list's total and the organizations it leaves out as transitive only,
        `exclude` left out of both. Its rows carry their stored `via`."""
        scope = [_pku.c.package_id == package_id, _pku.c.kind == kind]
        excluded = [_pku.c.organization_id.not_in(list(exclude))] if exclude else []
        listed = [*scope, _pku.c.repository_count > 0, *excluded]
        if sort == "repositories":
            candidates = _default_candidates(listed, after, limit)
        elif sort in _OWN_SORTS:
            # The page in one pass over the kind's rows (a few thousand heap pages for the most
            # used package, written together), before any join.
            candidates = users_page(
                select(*_COLUMNS).where(*listed), sort, _pku.c, after, limit
            ).subquery("candidates")
        else:
            # Login and readiness are the owner's: every row of the kind is joined to its
            # owner and ranked, a hash join over the organizations instead of aggregating the
            # package's dependents.
            candidates = select(*_COLUMNS).where(*listed).subquery("candidates")
        rules: ColumnClause[Any] = literal_column(
            readiness_rules_sql(
                "organizations",
                "candidates.repository_count",
                "candidates.latest_push",
            ),
            SmallInteger,
        )
        ranked = (
            select(
                candidates.c.organization_id,
                candidates.c.repository_count,
                candidates.c.total_stars,
                candidates.c.latest_push,
                stored_languages(candidates.c.languages).label("languages"),
                candidates.c.kinds,
                candidates.c.transitive_repository_count,
                candidates.c.via,
                func.lower(_org.c.login).collate("C").label("login_key"),
                rules.label("readiness_rules"),
                literal_column(score_sql(str(rules)), SmallInteger).label("readiness"),
                *SIGNALS,
            )
            .join(_org, _org.c.id == candidates.c.organization_id)
            .subquery("ranked")
        )
        ordered = users_page(select(ranked), sort, ranked.c, after, limit).subquery("ordered")
        totals = _totals(scope, exclude).cte("totals")
        # The totals always make a row, so an empty page costs no second pass for its counts.
        stmt = select(totals, ordered).select_from(totals.outerjoin(ordered, true()))
        result = await self._session.execute(users_page(stmt, sort, ordered.c, None, limit))
        found = list(result.all())
        rows = [row for row in found if row.organization_id is not None]
        return FilteredUsers(
            rows,
            int(found[0].total),
            int(found[0].transitive_only),
            {
                row.organization_id: (row.repository_count, row.transitive_repository_count)
                for row in rows
            },
        )


def _default_candidates(listed: list[Any], after: After | None, limit: int) -> Any:
    """The rows the default order's page is among: the next `limit` rows past the bound in
    index order, those tied with the last of them on (repositories, stars), and those tied
    with the bound. Only they are joined to their owners; each part is an index range the
    planner sizes right, so it never reaches for a parallel scan."""
    pair = tuple_(_pku.c.repository_count, _pku.c.total_stars)
    beyond = list(listed)
    parts = []
    if after is not None:
        # Typed as the columns, so the comparisons are conditions of the index.
        bound = tuple_(literal(after[0], Integer), literal(after[1], BigInteger))
        beyond.append(pair < bound)
        # The rows tied with the previous page's last, some of them still to come.
        parts.append(select(*_COLUMNS).where(*listed, pair == bound))
    ahead = (
        select(*_COLUMNS)
        .where(*beyond)
        .order_by(_pku.c.repository_count.desc(), _pku.c.total_stars.desc())
        .limit(limit)
        .cte("ahead")
    )
    cut = (
        select(ahead.c.repository_count, ahead.c.total_stars)
        .order_by(ahead.c.repository_count.desc(), ahead.c.total_stars.desc())
        .offset(limit - 1)
        .limit(1)
        .cte("cut")
    )
    parts.append(select(ahead))
    parts.append(
        select(*_COLUMNS).where(
            *listed,
            pair
            == tuple_(
                select(cut.c.repository_count).scalar_subquery(),
                select(cut.c.total_stars).scalar_subquery(),
            ),
        )
    )
    return union(*parts).subquery("candidates")


def _totals(scope: list[Any], exclude: tuple[int, ...]) -> Any:
    """One row: the organizations listed and those using the package only transitively,
    counted from the index alone; the left-out organizations' rows are subtracted apart, as
    the index does not hold organization ids."""
    listed = _pku.c.repository_count > 0
    counts = select(
        func.count().filter(listed).label("total"),
        func.count().filter(~listed).label("transitive_only"),
    ).where(*scope)
    if not exclude:
        return counts
    everyone = counts.subquery("everyone")
    left_out = counts.where(_pku.c.organization_id.in_(list(exclude))).subquery("left_out")
    return select(
        (everyone.c.total - left_out.c.total).label("total"),
        (everyone.c.transitive_only - left_out.c.transitive_only).label("transitive_only"),
    ).select_from(everyone.join(left_out, true()))
