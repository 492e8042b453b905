"""SQL reads of the read side: the users of a package (rollup or exact aggregate), their
repositories and declarations, and the packages an organization uses."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    any_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery
from sqlalchemy.types import DateTime, Text

from app.models import (
    Dependency,
    Language,
    ManifestPath,
    Organization,
    Package,
    PackageDependent,
    PackageUsage,
    Repository,
)
from app.models.package_usage import (
    ARCHIVED,
    DIRECT,
    FILTER_INDEXED,
    FORK,
    KINDS_BITS,
    NOISE,
    NON_USAGE_KINDS,
    OWNER_IS_USER,
    has_flag,
    kinds_of,
    lacks_flag,
)

UsersSort = Literal["repositories", "stars", "recent", "name", "readiness"]
# Which uses count: declared in a manifest (or not said), only pulled in by lockfiles, or both.
DependencyUse = Literal["direct", "transitive", "any"]
# (sort value, tie-breaking id) of the last row of a page; the users' default order carries
# (repositories, stars, login) instead (package_users.users_page).
After = tuple[Any, ...]
AnyRow = Row[*tuple[Any, ...]]

_pd = PackageDependent.__table__
_pu = PackageUsage.__table__
_org = Organization.__table__
_repo = Repository.__table__
_dep = Dependency.__table__
_path = ManifestPath.__table__
_pkg = Package.__table__
_lang = Language.__table__

_NEVER: ColumnElement[datetime] = literal_column("'-infinity'::timestamp with time zone")


def languages_sql(name: str) -> str:
    """The three most frequent languages over rows of per-language counts `n` and the
    language's name `name` (a `languages.name`), ties in byte order; the rollup and the exact
    aggregate share it so both answer the same."""
    return (
        f'coalesce((array_agg({name} ORDER BY n DESC, {name} COLLATE "C")'
        f" FILTER (WHERE {name} IS NOT NULL))[1:3], '{{}}')"
    )


# The rollups store those languages as one text, joined by the ASCII unit separator (which no
# language name holds): a 3-element array costs a 24-byte header and 4 bytes per element.
LANGUAGE_SEPARATOR = "\x1f"


def stored_languages_sql(name: str) -> str:
    return f"array_to_string({languages_sql(name)}, E'{LANGUAGE_SEPARATOR}')"


def stored_languages(column: Any) -> ColumnElement[list[str]]:
    """A rollup's stored languages as the list the aggregates give."""
    return func.string_to_array(column, literal_column(f"E'{LANGUAGE_SEPARATOR}'"))


# The stars bound when none is asked: the smallest integer, so that with or without min_stars a
# list is one statement, compiled once per process (and at start by the warm-up), not two.
NO_MIN_STARS = -(2**31)


@dataclass(frozen=True, slots=True)
class DependentFilter:
    """Which (package, repository) rows count; `language` is compared case-insensitively."""

    min_stars: int | None = None
    language: str | None = None
    pushed_after: datetime | None = None
    kinds_mask: int | None = None
    include_forks: bool = False
    include_archived: bool = False
    include_noise: bool = False
    owner_type: str | None = None
    dependency: DependencyUse = "direct"


def language_ids(language: str) -> ColumnElement[list[int]]:
    """The ids of the spellings of `language`, compared case-insensitively, as an array read
    once per statement: `language_id = ANY(...)` is an index condition of the filter index."""
    spellings = select(_lang.c.id).where(func.lower(_lang.c.name) == language.lower())
    return func.array(spellings.scalar_subquery(), type_=ARRAY(Integer))


def dependent_conditions(f: DependentFilter, table: Any = _pd) -> list[ColumnElement[bool]]:
    """The conditions of `f` over package_dependents (or an alias of it): one per flag, each
    estimated from the flag's own statistics."""
    flags = table.c.flags
    conditions: list[ColumnElement[bool]] = []
    if not f.include_forks:
        conditions.append(lacks_flag(flags, FORK))
    if not f.include_archived:
        conditions.append(lacks_flag(flags, ARCHIVED))
    if not f.include_noise:
        conditions.append(lacks_flag(flags, NOISE))
    if f.language is not None:
        conditions.append(table.c.language_id == any_(language_ids(f.language)))
    conditions.append(table.c.stars >= (f.min_stars or NO_MIN_STARS))
    if f.pushed_after is not None:
        conditions.append(table.c.pushed_at >= f.pushed_after)
    if f.kinds_mask is not None:
        conditions.append(flags.op("&")(f.kinds_mask & KINDS_BITS) != 0)
    if f.owner_type is not None:
        owned = has_flag if f.owner_type == "user" else lacks_flag
        conditions.append(owned(flags, OWNER_IS_USER))
    if f.dependency != "any":
        direct = has_flag if f.dependency == "direct" else lacks_flag
        conditions.append(direct(flags, DIRECT))
    return conditions


def package_dependents(package_id: Any, name: str = "pd") -> Subquery:
    """The package's package_dependents rows, as a subquery with the table's columns, read from
    both sides of the filter index in one statement (FILTER_INDEXED), so a list is right
    whichever side a package's rows are on: a large package's through the covering index,
    which the conditions on its columns reach, a small one's from the table through
    `ix_package_dependents_unindexed`, whose key no large package's row has."""
    # The key of ix_package_dependents_unindexed (models.package_usage.UNINDEXED_PACKAGE_SQL).
    indexed = has_flag(_pd.c.flags, FILTER_INDEXED)
    unindexed = case((indexed, null()), else_=_pd.c.package_id)
    return union_all(
        select(*_pd.c).where(_pd.c.package_id == package_id, indexed),
        select(*_pd.c).where(unindexed == package_id),
    ).subquery(name)


def sort_key(sort: UsersSort, columns: Any) -> ColumnElement[Any]:
    match sort:
        case "repositories":
            key: ColumnElement[Any] = columns.repository_count
        case "stars":
            key = columns.total_stars
        case "recent":
            key = func.coalesce(columns.latest_push, _NEVER)
        case "name":
            key = columns.login_key
        case "readiness":
            key = columns.readiness
    return key


def after_value(sort: UsersSort, value: Any) -> ColumnElement[Any]:
    if sort == "recent":
        return func.coalesce(literal(value, DateTime(timezone=True)), _NEVER)
    return literal(value)


def keyset_page(
    stmt: Select[Any],
    sort: UsersSort,
    key: ColumnElement[Any],
    tiebreak: ColumnElement[Any],
    after: After | None,
    limit: int,
) -> Select[Any]:
    """Keyset order: descending on (key, id) except `name`, ascending; one index range each."""
    ascending = sort == "name"
    if after is not None:
        bound = tuple_(after_value(sort, after[0]), literal(after[1], Integer))
        row = tuple_(key, tiebreak)
        stmt = stmt.where(row > bound if ascending else row < bound)
    if ascending:
        return stmt.order_by(key.asc(), tiebreak.asc()).limit(limit)
    return stmt.order_by(key.desc(), tiebreak.desc()).limit(limit)


class PackageUsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_user_repositories(
        self,
        package_id: int,
        organization_id: int,
        f: DependentFilter,
        *,
        after: After | None,
        limit: int,
    ) -> list[AnyRow]:
        stmt = (
            select(
                _pd.c.repository_id,
                _pd.c.stars,
                _lang.c.name.label("primary_language"),
                has_flag(_pd.c.flags, FORK).label("is_fork"),
                has_flag(_pd.c.flags, ARCHIVED).label("is_archived"),
                _pd.c.pushed_at,
                _repo.c.full_name,
                _repo.c.github_url,
                _repo.c.description,
            )
            .join(_repo, _repo.c.id == _pd.c.repository_id)
            .outerjoin(_lang, _lang.c.id == _pd.c.language_id)
            .where(
                _pd.c.package_id == package_id,
                _pd.c.organization_id == organization_id,
                *dependent_conditions(f),
            )
        )
        result = await self._session.execute(
            keyset_page(stmt, "stars", _pd.c.stars, _pd.c.repository_id, after, limit)
        )
        return list(result.all())

    async def count_user_repositories(
        self, package_id: int, organization_id: int, f: DependentFilter
    ) -> int:
        result = await self._session.execute(
            select(func.count())
            .select_from(_pd)
            .where(
                _pd.c.package_id == package_id,
                _pd.c.organization_id == organization_id,
                *dependent_conditions(f),
            )
        )
        return int(result.scalar_one())

    async def list_declarations(
        self, package_id: int, repository_ids: Sequence[int]
    ) -> list[AnyRow]:
        if not repository_ids:
            return []
        result = await self._session.execute(
            select(
                _dep.c.repository_id,
                _path.c.path.label("manifest_path"),
                _dep.c.requirement,
                _dep.c.version,
                _dep.c.dependency_type,
                _dep.c.is_direct,
                _dep.c.via,
            )
            .join(_path, _path.c.id == _dep.c.manifest_path_id)
            .where(
                _dep.c.package_id == package_id,
                _dep.c.repository_id.in_(list(repository_ids)),
                _dep.c.dependency_type.not_in(NON_USAGE_KINDS),
            )
            .order_by(_dep.c.repository_id, _path.c.path)
        )
        return list(result.all())

    async def list_organization_packages(
        self,
        organization_id: int,
        *,
        ecosystem: str | None,
        kinds_mask: int | None,
        after: After | None,
        limit: int,
    ) -> list[AnyRow]:
        """Packages the organization uses directly, most of its repositories first, with its
        repositories that use each only transitively and the via of those (`via` as the rollup
        stores it, or every such repository's `vias` under `kinds_mask`)."""
        if kinds_mask is None:
            source = (
                select(
                    _pu.c.package_id,
                    _pu.c.repository_count,
                    _pu.c.kinds,
                    _pu.c.transitive_repository_count,
                    _pu.c.via,
                    literal(None, ARRAY(Text)).label("vias"),
                )
                .where(_pu.c.organization_id == organization_id, _pu.c.has_direct_use)
                .subquery("used")
            )
        else:
            direct = has_flag(_pd.c.flags, DIRECT)
            source = (
                select(
                    _pd.c.package_id,
                    cast(func.count().filter(direct), Integer).label("repository_count"),
                    func.bit_or(kinds_of(_pd.c.flags)).filter(direct).label("kinds"),
                    cast(func.count().filter(~direct), Integer).label(
                        "transitive_repository_count"
                    ),
                    literal(None, Text).label("via"),
                    func.array_agg(_pd.c.via).filter(_pd.c.via.is_not(None)).label("vias"),
                )
                .where(
                    _pd.c.organization_id == organization_id,
                    *dependent_conditions(DependentFilter(kinds_mask=kinds_mask, dependency="any")),
                )
                .group_by(_pd.c.package_id)
                .having(func.count().filter(direct) > 0)
                .subquery("used")
            )
        stmt = select(
            source.c.package_id,
            source.c.repository_count,
            source.c.kinds,
            source.c.transitive_repository_count,
            source.c.via,
            source.c.vias,
            _pkg.c.ecosystem,
            _pkg.c.name,
        ).join(_pkg, _pkg.c.id == source.c.package_id)
        if ecosystem is not None:
            stmt = stmt.where(_pkg.c.ecosystem == ecosystem)
        result = await self._session.execute(
            keyset_page(
                stmt,
                "repositories",
                source.c.repository_count,
                source.c.package_id,
                after,
                limit,
            )
        )
        return list(result.all())

    async def count_organization_packages(
        self,
        organization_id: int,
        *,
        ecosystem: str | None = None,
        kinds_mask: int | None = None,
    ) -> int:
        """How many packages `list_organization_packages` lists across its pages."""
        if kinds_mask is None:
            stmt = (
                select(func.count())
                .select_from(_pu)
                .where(_pu.c.organization_id == organization_id, _pu.c.has_direct_use)
            )
            if ecosystem is not None:
                stmt = stmt.join(_pkg, _pkg.c.id == _pu.c.package_id).where(
                    _pkg.c.ecosystem == ecosystem
                )
        else:
            stmt = select(func.count(func.distinct(_pd.c.package_id))).where(
                _pd.c.organization_id == organization_id,
                *dependent_conditions(DependentFilter(kinds_mask=kinds_mask)),
            )
            if ecosystem is not None:
                stmt = stmt.join(_pkg, _pkg.c.id == _pd.c.package_id).where(
                    _pkg.c.ecosystem == ecosystem
                )
        return int((await self._session.execute(stmt)).scalar_one())
