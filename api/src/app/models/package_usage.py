"""Read-side tables derived from dependencies: the shapes the "who uses my package?" query reads.

`package_dependents` holds one row per (package, repository) with the repository attributes the
filters need, so a filtered answer is one pass over one package's rows. `package_usage` is the
rollup per (package, organization) under the default filters (no forks, no archived
repositories, direct use), read through a partial index in each sort order; an organization
that uses the package only transitively has a row too, kept out of those indexes, for its
counts and via. `package_kind_usage` splits that rollup by dependency kind for the most used
packages, whose kind-filtered lists are too large to aggregate per request. `ecosystem_stats`
holds the counts that are too costly to compute per request. All four are rebuilt from the
source tables by `UsageRefreshService`; they carry no foreign keys, so bulk rebuilds pay no
per-row checks.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    SQLColumnExpression,
    String,
    Text,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.dependency import DEPENDENCY_TYPES

# Declarations that do not make a repository a user of the package: an exclusion, a version
# managed for whoever pulls the package in, a suggestion.
NON_USAGE_KINDS = ("excluded", "managed", "suggested")
# The direct dependencies a rollup row names as the package's via, most repositories first.
VIA_LIMIT = 5
# A rollup row's via as one text: each name and its repository count, space-separated ("vite 3
# webpack 1"; names hold no space, as in dependencies.via), from rows of (name, c). Two arrays
# cost two 21-byte headers and a padded word per element (migration 048).
STORED_VIA_SQL = (
    f"array_to_string((array_agg(name || ' ' || c ORDER BY c DESC, name COLLATE \"C\"))"
    f"[1:{VIA_LIMIT}], ' ')"
)


def via_pairs(stored: str | None) -> list[tuple[str, int]]:
    """A rollup row's stored via as (name, repository count) pairs, most first."""
    if not stored:
        return []
    parts = stored.split(" ")
    return [(parts[i], int(parts[i + 1])) for i in range(0, len(parts), 2)]


# Packages that this many repositories use directly (the default view) get per-kind rollup
# rows: below it, a kind-filtered users list aggregates the package's dependents per request
# well within its budget, and the rows would only cost disk.
KIND_USAGE_MIN_REPOSITORIES = 20_000


# Repositories that declare a package without using it, recognisable by name: owners whose login
# marks a bot (`renovate-bot`, `x[bot]`, `deps_bot`) and awesome-lists (`awesome`,
# `awesome-python`, `python.awesome`). Over `o` (organizations) and `r` (repositories).
NOISE_SQL = (
    r"(o.login ~* '(^bot|[-_]bot|\[bot\])$'"
    r" OR r.name ~* '(^awesome($|[-_.])|[-_.]awesome$)')"
)


def kind_bit(kind: str) -> int:
    """The bit of `kind` in the `kinds` masks; the order of DEPENDENCY_TYPES is stored data."""
    return 1 << DEPENDENCY_TYPES.index(kind)


def kinds_mask(kinds: Iterable[str]) -> int:
    mask = 0
    for kind in kinds:
        mask |= kind_bit(kind)
    return mask


def kinds_from_mask(mask: int) -> list[str]:
    return [kind for index, kind in enumerate(DEPENDENCY_TYPES) if mask & (1 << index)]


# The covering filter index holds the rows of packages at least this many repositories use
# directly (FILTER_INDEXED set in `package_dependents.flags`); a smaller package's rows, two
# thirds of all on the full dataset, are read from the table through
# `ix_package_dependents_unindexed`.
FILTER_INDEX_MIN_REPOSITORIES = 10_000

# `package_dependents.flags`: the row's kinds mask in the low bits (bit i set when a
# declaration of DEPENDENCY_TYPES[i] counts, as `kinds` columns hold it elsewhere) and its
# yes/no attributes above them. One integer instead of a smallint and six booleans keeps the
# table at 8 columns, whose null bitmap fits the 24-byte row header (migration 040).
KINDS_BITS = (1 << len(DEPENDENCY_TYPES)) - 1
# The owner is a user, not an organization.
OWNER_IS_USER = 1 << 16
FORK = 1 << 17
ARCHIVED = 1 << 18
# Not a real use by default: a bot-owned repository or an awesome-list (NOISE_SQL).
NOISE = 1 << 19
# A manifest of the repository declares the package (or does not say whether it does); clear
# when only lockfiles pull it in, and `via` then names the direct dependencies it arrives
# through (space-separated, as in dependencies.via; NULL for direct rows).
DIRECT = 1 << 20
# In the filter index: the package has FILTER_INDEX_MIN_REPOSITORIES repositories of direct
# use (the default view's, as `packages.repository_count` counts them).
FILTER_INDEXED = 1 << 21
# The flags whose expressions `st_package_dependents_flags` keeps statistics for: the planner
# estimates a condition on one of them as it did on its own boolean column.
FLAG_BITS = (OWNER_IS_USER, FORK, ARCHIVED, NOISE, DIRECT, FILTER_INDEXED)


def flag_sql(bit: int, column: str = "flags") -> str:
    """The flag as SQL, spelled as PostgreSQL prints it in an index definition. The bit is a
    literal, never a parameter: a partial index's predicate must be provable from the query
    text, whatever plan the statement is prepared with."""
    return f"(({column} & {bit}) <> 0)"


def lacks_flag_sql(bit: int, column: str = "flags") -> str:
    """The flag unset, as `<>` as its being set is: before the table's first ANALYZE,
    PostgreSQL estimates an equality to keep half a percent of the rows and an inequality all
    but that, and the common conditions (no forks, no archived repositories, no noise, direct
    use) keep most rows. With statistics, both forms are estimated from the flag's."""
    return f"(({column} & {bit}) <> {bit})"


def default_view_sql(column: str = "flags") -> str:
    """The default view's rows of package_dependents as SQL over a `flags` column: no forks,
    no archived repositories, no noise."""
    return " AND ".join(lacks_flag_sql(bit, column) for bit in (FORK, ARCHIVED, NOISE))


def has_flag(flags: SQLColumnExpression[int], bit: int) -> ColumnElement[bool]:
    """Whether `bit` is set in a `flags` column (of package_dependents or an alias of it)."""
    return flags.op("&")(literal_column(str(bit), Integer)) != literal_column("0", Integer)


def lacks_flag(flags: SQLColumnExpression[int], bit: int) -> ColumnElement[bool]:
    """Whether `bit` is unset (see lacks_flag_sql)."""
    mask = literal_column(str(bit), Integer)
    return flags.op("&")(mask) != mask


def kinds_of(flags: SQLColumnExpression[int]) -> ColumnElement[int]:
    """The kinds mask of a `flags` column."""
    return flags.op("&")(literal_column(str(KINDS_BITS), Integer))


# The package of a row outside the filter index (NULL inside it), spelled as PostgreSQL prints
# it, so the schema comparison of models and migrations matches it.
UNINDEXED_PACKAGE_SQL = (
    f"(\nCASE\nWHEN (flags & {FILTER_INDEXED}) <> 0 THEN NULL::integer\nELSE package_id\nEND)"
)


class PackageDependent(Base):
    __tablename__ = "package_dependents"
    __table_args__ = (
        # Repository first: a refresh after an ingest deletes and reads the rows of a batch of
        # repositories, and the lists read through the indexes below, never by this key.
        PrimaryKeyConstraint("repository_id", "package_id"),
        # A package's rows, or one organization's of them in stars order: the refresh by
        # package and by (package, organization) pair, a users page's sample repositories and
        # an organization's repositories of the package.
        Index("ix_package_dependents_pair", "package_id", "organization_id", text("stars DESC")),
        # A small package's rows, for its filtered lists, keyed by an expression that names
        # no package in the filter index: its statistics (PostgreSQL keeps them for the
        # expressions of whole-table indexes) tell the planner that a large package has no
        # rows here, which a flag beside the package id cannot.
        Index("ix_package_dependents_unindexed", text(UNINDEXED_PACKAGE_SQL)),
        # Covers every filtered users query of a large package: language and min_stars narrow
        # the range, the other filters and the aggregate read the included columns without
        # touching the heap. A language filter names the ids of the language's spellings.
        Index(
            "ix_package_dependents_filter",
            "package_id",
            "language_id",
            "stars",
            postgresql_include=["organization_id", "pushed_at", "flags"],
            postgresql_where=text(flag_sql(FILTER_INDEXED)),
        ),
        # A filtered list names what its page's organizations use the package through, from
        # their transitive rows (about a fifth of all) without the heap, where one organization's
        # rows of a package lie on as many pages as there are rows.
        Index(
            "ix_package_dependents_via",
            "package_id",
            "organization_id",
            postgresql_include=["stars", "flags", "language_id", "via"],
            postgresql_where=text("via IS NOT NULL"),
        ),
    )

    # Columns in alignment order (8-byte, 4-byte, variable-length last): no padding between
    # them (migrations 035, 040 and 045).
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    package_id: Mapped[int] = mapped_column(Integer, nullable=False)
    repository_id: Mapped[int] = mapped_column(Integer, nullable=False)
    organization_id: Mapped[int] = mapped_column(Integer, nullable=False)
    stars: Mapped[int] = mapped_column(Integer, nullable=False)
    # The kinds and yes/no attributes above (KINDS_BITS, OWNER_IS_USER ... FILTER_INDEXED).
    flags: Mapped[int] = mapped_column(Integer, nullable=False)
    # The repository's primary language (`languages`; no foreign key, which would cost a check
    # per written row: languages are never deleted).
    language_id: Mapped[int | None] = mapped_column(Integer)
    via: Mapped[str | None] = mapped_column(Text)


# The rollup's sort indexes and an organization's index hold the organizations that use the
# package directly: the rows of those that use it only transitively serve counts and the
# organization's own view.
_DIRECT = text("has_direct_use")
# The sorts' indexes hold only the rows of packages this many organizations use directly: a
# smaller package's rows (two thirds of them on the full dataset) are read and ordered in a
# millisecond or two without one. A list reads both sides in one statement
# (PackageUsersRepository.list_users_rollup), so it stays right while a package's rows move.
SORT_INDEX_MIN_ORGANIZATIONS = 2_000
_SORT_INDEXED = text("has_direct_use AND sort_indexed")


class PackageUsage(Base):
    __tablename__ = "package_usage"
    __table_args__ = (
        PrimaryKeyConstraint("package_id", "organization_id"),
        # The default users order: repositories and stars descending, then login ascending, as
        # one ascending range over negated counts (package_users.users_page). Like the other
        # sorts' indexes, it holds only the rows of large packages (migration 047).
        Index(
            "ix_package_usage_repositories",
            "package_id",
            text("(- repository_count)"),
            text("(- total_stars)"),
            "login_key",
            postgresql_where=_SORT_INDEXED,
        ),
        Index(
            "ix_package_usage_stars",
            "package_id",
            text("total_stars DESC"),
            text("organization_id DESC"),
            postgresql_where=_SORT_INDEXED,
        ),
        Index(
            "ix_package_usage_recent",
            "package_id",
            text("COALESCE(latest_push, '-infinity'::timestamp with time zone) DESC"),
            text("organization_id DESC"),
            postgresql_where=_SORT_INDEXED,
        ),
        Index(
            "ix_package_usage_name",
            "package_id",
            "login_key",
            "organization_id",
            postgresql_where=_SORT_INDEXED,
        ),
        Index(
            "ix_package_usage_readiness",
            "package_id",
            text("readiness DESC"),
            text("organization_id DESC"),
            postgresql_where=_SORT_INDEXED,
        ),
        # The rows of the smaller packages, for every sort (deduplicated: a few bytes each).
        Index(
            "ix_package_usage_unsorted",
            "package_id",
            postgresql_where=text("has_direct_use AND NOT sort_indexed"),
        ),
        Index(
            "ix_package_usage_organization",
            "organization_id",
            text("repository_count DESC"),
            text("package_id DESC"),
            postgresql_where=_DIRECT,
        ),
    )

    # Columns in alignment order, as in package_dependents (migration 035).
    latest_push: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    package_id: Mapped[int] = mapped_column(Integer, nullable=False)
    organization_id: Mapped[int] = mapped_column(Integer, nullable=False)
    repository_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # Part of the owner's stars, which organizations.total_stars holds as an integer too.
    total_stars: Mapped[int] = mapped_column(Integer, nullable=False)
    transitive_repository_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default="0"
    )
    # Bit i set when a declaration of DEPENDENCY_TYPES[i] counts (12 kinds: a smallint).
    kinds: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # The sponsorship readiness score (app.core.readiness) and the bit mask of the rules met,
    # as of the row's last write or its owner's last enrichment.
    readiness: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    readiness_rules: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    owner_is_user: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # The row's figures (repository_count to readiness) count the organization's repositories
    # that use the package directly; when it has none (has_direct_use false), those that use it
    # only transitively. transitive_repository_count counts the latter either way, and via names
    # the top direct dependencies they arrive through, with repository counts (STORED_VIA_SQL).
    has_direct_use: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # In the sort indexes: the package has SORT_INDEX_MIN_ORGANIZATIONS organizations.
    sort_indexed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # lower(login) in byte order: the `name` sort, stable whatever the database's locale.
    login_key: Mapped[str] = mapped_column(String(100, collation="C"), nullable=False)
    # The top 3 languages joined by the unit separator (stored_languages_sql).
    languages: Mapped[str] = mapped_column(Text, nullable=False)
    via: Mapped[str | None] = mapped_column(Text)


class PackageKindUsage(Base):
    """The users of a package under one `kind` filter with the other filters at their
    defaults: per (package, kind, organization), the organization's repositories of the
    default view that declare the package as that kind (among others), as a kind-filtered
    list shows them. Held for the packages marked `has_kind_usage`."""

    __tablename__ = "package_kind_usage"
    __table_args__ = (
        # Replacing the rows of the (package, organization) pairs an ingest touched.
        PrimaryKeyConstraint("package_id", "organization_id", "kind"),
        # Read backwards, the default users order (repositories, then stars, descending; the
        # page's few ties are put in login order after the join). Organizations that use the
        # package only transitively (repository_count 0) end the range, so one index counts
        # both the list and those left out.
        Index(
            "ix_package_kind_usage_ranked",
            "package_id",
            "kind",
            "repository_count",
            "total_stars",
        ),
    )

    # Columns in alignment order, as in package_dependents (migration 035). Figures of the
    # repositories that use the package directly; 0 and NULL when none does.
    latest_push: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    package_id: Mapped[int] = mapped_column(Integer, nullable=False)
    organization_id: Mapped[int] = mapped_column(Integer, nullable=False)
    repository_count: Mapped[int] = mapped_column(Integer, nullable=False)
    total_stars: Mapped[int] = mapped_column(Integer, nullable=False)
    transitive_repository_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # The kind's position in DEPENDENCY_TYPES (its bit in `kinds` masks).
    kind: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    kinds: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # The top 3 languages joined by the unit separator (stored_languages_sql).
    languages: Mapped[str] = mapped_column(Text, nullable=False)
    # What the repositories of transitive use arrive through, as in package_usage; NULL when
    # there are none.
    via: Mapped[str | None] = mapped_column(Text)


class EcosystemStats(Base):
    __tablename__ = "ecosystem_stats"

    ecosystem: Mapped[str] = mapped_column(String(20), primary_key=True)
    package_count: Mapped[int] = mapped_column(Integer, nullable=False)
    organization_count: Mapped[int] = mapped_column(Integer, nullable=False)
    repository_count: Mapped[int] = mapped_column(Integer, nullable=False)
    dependency_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
