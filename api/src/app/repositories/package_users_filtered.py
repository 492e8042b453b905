"""SQL of a filtered users list: an exact aggregate over the package's dependents, ranked before
the page's organizations are joined, with the counts the answer shows."""

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from app.core.readiness import score_sql
from app.models import Language, Organization, PackageDependent
from app.models.package_usage import DIRECT, has_flag, kinds_of, lacks_flag
from app.repositories.package_usage import (
    After,
    AnyRow,
    DependentFilter,
    UsersSort,
    dependent_conditions,
    languages_sql,
    package_dependents,
)
from app.repositories.package_user_uses import UseCounts
from app.repositories.package_users import SIGNALS, UserFilter, user_conditions, users_page
from app.repositories.readiness import readiness_rules_sql

_pd = PackageDependent.__table__
_org = Organization.__table__
_lang = Language.__table__
# The page's languages, over per-language counts joined to the languages' names.
_LANGUAGES: ColumnClause[Any] = literal_column(languages_sql("languages.name"))


@dataclass(frozen=True, slots=True)
class FilteredUsers:
    """A page of a filtered users list, its total, the organizations a `dependency=direct` list
    leaves out as transitive only (None for the other values), and, when the page's query
    counted them, its organizations' direct and transitive repositories under the filters."""

    rows: list[AnyRow]
    total: int
    transitive_only: int | None
    uses: UseCounts | None


class FilteredUsersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_users(
        self,
        package_id: int,
        f: DependentFilter,
        uf: UserFilter,
        *,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> FilteredUsers:
        """One page of the exact aggregate over the package's dependents, with its exact
        totals; readiness is scored over the repositories the filters keep."""
        if uf.narrows or sort == "readiness":
            return await self._list_scored(package_id, f, uf, sort=sort, after=after, limit=limit)
        return await self._list_ranked(package_id, f, uf, sort=sort, after=after, limit=limit)

    async def _list_ranked(
        self,
        package_id: int,
        f: DependentFilter,
        uf: UserFilter,
        *,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> FilteredUsers:
        """Without a readiness filter or sort, the organizations are ranked on their aggregates
        alone; only the page's rows are joined to their owners, scored and given languages."""
        matched, per_org = _aggregates(package_id, f)
        excluded = user_conditions(
            UserFilter(exclude=uf.exclude), per_org.c.organization_id, None, None
        )
        listed = [per_org.c.repository_count > 0, *excluded]
        page = _page(per_org, listed, sort, after, limit).cte("page")
        rules: ColumnClause[Any] = literal_column(
            readiness_rules_sql("organizations", "page.repository_count", "page.latest_push"),
            SmallInteger,
        )
        totals = _totals(per_org, listed, excluded, f)
        columns: list[Any] = [
            page,
            rules.label("readiness_rules"),
            literal_column(score_sql(str(rules)), SmallInteger).label("readiness"),
            *SIGNALS,
        ]
        if "login_key" not in page.c:
            columns.append(func.lower(_org.c.login).collate("C").label("login_key"))
        ordered_from = select().join_from(page, _org, _org.c.id == page.c.organization_id)
        if matched is None:
            columns.append(_spelled_languages(package_id, f, page).label("languages"))
        else:
            languages = (
                select(matched.c.organization_id, _LANGUAGES.label("languages"))
                .outerjoin(_lang, _lang.c.id == matched.c.language_id)
                .where(
                    matched.c.n > 0,
                    matched.c.organization_id.in_(select(page.c.organization_id)),
                )
                .group_by(matched.c.organization_id)
                .subquery("page_languages")
            )
            columns.append(
                func.coalesce(languages.c.languages, literal_column("'{}'")).label("languages")
            )
            ordered_from = ordered_from.outerjoin(
                languages, languages.c.organization_id == page.c.organization_id
            )
        ordered = ordered_from.add_columns(*columns).subquery("ordered")
        # The totals always make a row, so an empty page costs no second pass for its counts.
        stmt = select(totals, ordered).select_from(totals.outerjoin(ordered, true()))
        result = await self._session.execute(users_page(stmt, sort, ordered.c, None, limit))
        found = list(result.all())
        total, transitive_only = int(found[0].total), found[0].transitive_only
        rows = [row for row in found if row.organization_id is not None]
        uses = {
            row.organization_id: (row.direct_repository_count, row.transitive_repository_count)
            for row in rows
        }
        return FilteredUsers(
            rows,
            total,
            int(transitive_only) if f.dependency == "direct" else None,
            uses,
        )

    async def _list_scored(
        self,
        package_id: int,
        f: DependentFilter,
        uf: UserFilter,
        *,
        sort: UsersSort,
        after: After | None,
        limit: int,
    ) -> FilteredUsers:
        """Every organization scored, for a readiness filter or sort."""
        scored = _scored(package_id, f)
        conditions = user_conditions(
            uf, scored.c.organization_id, scored.c.readiness, scored.c.readiness_rules
        )
        total = (
            select(func.count()).select_from(scored).where(*conditions).scalar_subquery()
        ).label("total")
        stmt: Select[Any] = select(scored, total).where(*conditions)
        result = await self._session.execute(users_page(stmt, sort, scored.c, after, limit))
        rows = list(result.all())
        if rows:
            count = int(rows[0].total)
        elif after is None:
            count = 0
        else:
            counted = await self._session.execute(
                select(func.count()).select_from(scored).where(*conditions)
            )
            count = int(counted.scalar_one())
        transitive_only = (
            await self._count_transitive_only(package_id, f, uf)
            if f.dependency == "direct"
            else None
        )
        return FilteredUsers(rows, count, transitive_only, None)

    async def _count_transitive_only(
        self, package_id: int, f: DependentFilter, uf: UserFilter
    ) -> int:
        """The organizations that a `dependency=direct` list of `f` leaves out because their
        matching repositories use the package only transitively (scored over those)."""
        scored = _scored(package_id, replace(f, dependency="transitive"), without_direct=f)
        conditions = user_conditions(
            uf, scored.c.organization_id, scored.c.readiness, scored.c.readiness_rules
        )
        result = await self._session.execute(
            select(func.count()).select_from(scored).where(*conditions)
        )
        return int(result.scalar_one())


def _aggregates(package_id: int, f: DependentFilter) -> tuple[Any, Any]:
    """The package's dependents under `f` whatever their `dependency`, per organization (and
    per (organization, language) first, for the page's languages, unless `f` names the
    language): the figures count the rows `f.dependency` keeps, the direct and transitive
    repository counts every row."""
    rows = package_dependents(package_id)
    direct = has_flag(rows.c.flags, DIRECT)
    kept: ColumnElement[bool] | None = None
    if f.dependency != "any":
        kept = direct if f.dependency == "direct" else lacks_flag(rows.c.flags, DIRECT)

    def counted(aggregate: Any) -> Any:
        return aggregate if kept is None else aggregate.filter(kept)

    where = dependent_conditions(replace(f, dependency="any"), rows)
    if f.language is not None:
        # One pass: every matching row has the language, so an organization's languages are
        # the spellings of it among its kept rows, read for the page's organizations alone.
        per_org = (
            select(
                rows.c.organization_id,
                cast(counted(func.count()), Integer).label("repository_count"),
                cast(counted(func.sum(rows.c.stars)), BigInteger).label("total_stars"),
                counted(func.max(rows.c.pushed_at)).label("latest_push"),
                counted(func.bit_or(kinds_of(rows.c.flags))).label("kinds"),
                cast(func.count().filter(direct), Integer).label("direct_repository_count"),
                cast(func.count().filter(~direct), Integer).label("transitive_repository_count"),
                counted(func.min(rows.c.language_id)).label("first_spelling"),
                counted(func.max(rows.c.language_id)).label("last_spelling"),
            )
            .where(*where)
            .group_by(rows.c.organization_id)
            .cte("per_org")
        )
        return None, per_org
    matched = (
        select(
            rows.c.organization_id,
            rows.c.language_id,
            cast(counted(func.count()), Integer).label("n"),
            counted(func.sum(rows.c.stars)).label("s"),
            counted(func.max(rows.c.pushed_at)).label("p"),
            counted(func.bit_or(kinds_of(rows.c.flags))).label("k"),
            cast(func.count().filter(direct), Integer).label("d"),
            cast(func.count().filter(~direct), Integer).label("t"),
        )
        .where(*where)
        .group_by(rows.c.organization_id, rows.c.language_id)
        .cte("matched")
    )
    per_org = (
        select(
            matched.c.organization_id,
            cast(func.sum(matched.c.n), Integer).label("repository_count"),
            cast(func.sum(matched.c.s), BigInteger).label("total_stars"),
            func.max(matched.c.p).label("latest_push"),
            func.bit_or(matched.c.k).label("kinds"),
            cast(func.sum(matched.c.d), Integer).label("direct_repository_count"),
            cast(func.sum(matched.c.t), Integer).label("transitive_repository_count"),
        )
        .group_by(matched.c.organization_id)
        .cte("per_org")
    )
    return matched, per_org


def _spelled_languages(package_id: int, f: DependentFilter, page: Any) -> Any:
    """A page row's languages when `f` names the language: its one spelling, or, for an
    organization whose kept rows spell it more than one way, each spelling counted."""
    spellings = (
        select(_lang.c.name, func.count().label("n"))
        .join_from(_pd, _lang, _lang.c.id == _pd.c.language_id)
        .where(
            _pd.c.package_id == package_id,
            _pd.c.organization_id == page.c.organization_id,
            *dependent_conditions(f),
        )
        .group_by(_lang.c.name)
        # A FROM subquery is not correlated on its own: without this, `page` would be joined
        # inside it, and every page row counted the spellings of the whole page.
        .correlate(page)
        .subquery("spellings")
    )
    counted = (
        select(literal_column(languages_sql("spellings.name")))
        .select_from(spellings)
        .scalar_subquery()
    )
    spelling = select(_lang.c.name).where(_lang.c.id == page.c.first_spelling).scalar_subquery()
    return case(
        (
            page.c.first_spelling == page.c.last_spelling,
            array([spelling], type_=String),
        ),
        else_=counted,
    )


def _page(
    per_org: Any,
    listed: list[ColumnElement[bool]],
    sort: UsersSort,
    after: After | None,
    limit: int,
) -> Select[Any]:
    """The page's organizations. Only the default order and `name` need logins: `name` joins
    every organization, the default order only those tied with the page's rows on
    (repositories, stars)."""
    if sort not in ("repositories", "name"):
        return users_page(select(per_org).where(*listed), sort, per_org.c, after, limit)
    login_key = func.lower(_org.c.login).collate("C").label("login_key")
    candidates = list(listed)
    if sort == "repositories":
        pair = tuple_(-per_org.c.repository_count, -per_org.c.total_stars)
        beyond = list(listed)
        if after is not None:
            # Typed as the columns, so the comparison reads the aggregates' types.
            bound = tuple_(literal(-after[0], Integer), literal(-after[1], BigInteger))
            beyond.append(pair > bound)
            candidates.append(pair >= bound)
        # The limit-th (repositories, stars) past the bound: no row of the page comes after it.
        cut = (
            select((-per_org.c.repository_count).label("r"), (-per_org.c.total_stars).label("s"))
            .where(*beyond)
            .order_by(-per_org.c.repository_count, -per_org.c.total_stars)
            .offset(limit - 1)
            .limit(1)
            .cte("cut")
        )
        candidates.append(
            or_(
                ~exists(select(cut.c.r)),
                pair
                <= tuple_(select(cut.c.r).scalar_subquery(), select(cut.c.s).scalar_subquery()),
            )
        )
    if sort == "name":
        keyed = (
            select(per_org, login_key)
            .join(_org, _org.c.id == per_org.c.organization_id)
            .where(*candidates)
            .subquery("keyed")
        )
    else:
        # Looked up for the candidates alone, whatever the planner expects of their number.
        own_key = select(login_key).where(_org.c.id == per_org.c.organization_id).scalar_subquery()
        keyed = select(per_org, own_key.label("login_key")).where(*candidates).subquery("keyed")
    return users_page(select(keyed), sort, keyed.c, after, limit)


def _totals(
    per_org: Any,
    listed: list[ColumnElement[bool]],
    excluded: list[ColumnElement[bool]],
    f: DependentFilter,
) -> Any:
    """One row: the list's `total` and, for `dependency=direct`, `transitive_only`, the
    organizations whose matching repositories all use the package only transitively."""
    total = select(func.count()).select_from(per_org).where(*listed)
    transitive_only: Select[Any] = select(literal(None, Integer))
    if f.dependency == "direct":
        transitive_only = (
            select(func.count())
            .select_from(per_org)
            .where(
                per_org.c.direct_repository_count == 0,
                per_org.c.transitive_repository_count > 0,
                *excluded,
            )
        )
    return select(
        total.scalar_subquery().label("total"),
        transitive_only.scalar_subquery().label("transitive_only"),
    ).cte("totals")


def _scored(
    package_id: int, f: DependentFilter, without_direct: DependentFilter | None = None
) -> Any:
    """Per organization, the aggregate of its repositories matching `f`, scored for readiness,
    as a CTE; with `without_direct`, only organizations with no repository matching that."""
    rows = package_dependents(package_id)
    where = dependent_conditions(f, rows)
    if without_direct is not None:
        direct = _pd.alias("direct")
        where.append(
            ~select(direct.c.repository_id)
            .where(
                direct.c.package_id == package_id,
                direct.c.organization_id == rows.c.organization_id,
                *dependent_conditions(without_direct, direct),
            )
            .exists()
        )
    matched = (
        select(
            rows.c.organization_id,
            rows.c.language_id,
            func.count().label("n"),
            func.sum(rows.c.stars).label("s"),
            func.max(rows.c.pushed_at).label("p"),
            func.bit_or(kinds_of(rows.c.flags)).label("k"),
        )
        .where(*where)
        .group_by(rows.c.organization_id, rows.c.language_id)
        .cte("matched")
    )
    per_org = (
        select(
            matched.c.organization_id,
            cast(func.sum(matched.c.n), Integer).label("repository_count"),
            cast(func.sum(matched.c.s), BigInteger).label("total_stars"),
            func.max(matched.c.p).label("latest_push"),
            func.bit_or(matched.c.k).label("kinds"),
            _LANGUAGES.label("languages"),
        )
        .outerjoin(_lang, _lang.c.id == matched.c.language_id)
        .group_by(matched.c.organization_id)
        .cte("per_org")
    )
    rules: ColumnClause[Any] = literal_column(
        readiness_rules_sql("organizations", "per_org.repository_count", "per_org.latest_push"),
        SmallInteger,
    )
    return (
        select(
            per_org,
            func.lower(_org.c.login).collate("C").label("login_key"),
            rules.label("readiness_rules"),
            literal_column(score_sql(str(rules)), SmallInteger).label("readiness"),
            *SIGNALS,
        )
        .join(_org, _org.c.id == per_org.c.organization_id)
        .cte("scored")
    )
