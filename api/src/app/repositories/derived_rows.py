"""SQL that derives the read side's rows from the source tables: package_dependents rows from
dependencies, repositories and organizations, and the package_usage rollup's rows from
package_dependents. `UsageRefreshRepository` runs it over the scopes a refresh names."""

from sqlalchemy import text
from sqlalchemy.sql.elements import TextClause

from app.core.readiness import score_sql
from app.models.package_usage import (
    ARCHIVED,
    DIRECT,
    FILTER_INDEXED,
    FORK,
    KINDS_BITS,
    NOISE,
    NOISE_SQL,
    OWNER_IS_USER,
    STORED_VIA_SQL,
    default_view_sql,
    flag_sql,
)
from app.repositories.package_usage import stored_languages_sql
from app.repositories.readiness import readiness_rules_sql

# The package_dependents values an ingest may change, besides the key, as the upsert sets
# them: every flag but FILTER_INDEXED, which moves with the package's count
# (apply_count_changes).
DEPENDENT_VALUES = {
    "organization_id": "excluded.organization_id",
    "stars": "excluded.stars",
    "language_id": "excluded.language_id",
    "pushed_at": "excluded.pushed_at",
    "flags": f"((excluded.flags & ~{FILTER_INDEXED}) | (pd.flags & {FILTER_INDEXED}))",
    "via": "excluded.via",
}
# A repository uses a package directly when one of its manifests declares it or does not say;
# a package only its lockfiles pull in arrives through the union of their via (nearest first,
# each name once, at most ten).
_DEPENDENT_DIRECT = "bool_or(d.is_direct IS NOT FALSE)"
_DEPENDENT_VIA = (
    f"CASE WHEN {_DEPENDENT_DIRECT} THEN NULL"
    # One lockfile's row (the common case): its via names each package once, nearest first,
    # so its first ten names are the union, without the per-group unnest and sort.
    " WHEN count(*) = 1 THEN array_to_string((string_to_array(min(d.via), ' '))[1:10], ' ')"
    " ELSE (SELECT string_agg(v.name, ' ' ORDER BY v.first) FROM"
    "  (SELECT u.name, min(u.position) AS first FROM unnest(string_to_array("
    # The lockfiles' via in their paths' order, each path looked up for the rows with a via.
    "   string_agg(d.via, ' ' ORDER BY (SELECT mp.path FROM manifest_paths mp"
    "    WHERE mp.id = d.manifest_path_id)) FILTER (WHERE d.via IS NOT NULL), ' '))"
    "   WITH ORDINALITY AS u(name, position)"
    "   GROUP BY u.name ORDER BY first LIMIT 10) v) END"
)
DEPENDENT_COLUMNS = (
    "package_id, repository_id, organization_id, stars, language_id, pushed_at, flags, via"
)
# Whether a row goes in the filter index (FILTER_INDEX_MIN_REPOSITORIES, bound as
# :filter_minimum): when whole packages are written, counted over the rows written (the
# default view's direct uses, as packages.repository_count counts them); else as the package's
# count stands (apply_count_changes moves the rows of a package whose count crosses it).
FILTER_INDEXED_WHOLE = (
    f"sum(CASE WHEN NOT r.is_fork AND NOT r.is_archived AND NOT {NOISE_SQL}"
    f" AND {_DEPENDENT_DIRECT} THEN 1 ELSE 0 END) OVER (PARTITION BY d.package_id)"
    " >= :filter_minimum"
)
FILTER_INDEXED_AS_COUNTED = (
    "coalesce((SELECT pk.repository_count >= :filter_minimum FROM packages pk"
    " WHERE pk.id = d.package_id), false)"
)


def dependent_select(filter_indexed: str) -> str:
    flags = {
        OWNER_IS_USER: "o.owner_type = 'user'",
        FORK: "r.is_fork",
        ARCHIVED: "r.is_archived",
        NOISE: NOISE_SQL,
        DIRECT: _DEPENDENT_DIRECT,
        FILTER_INDEXED: filter_indexed,
    }
    return (
        "SELECT d.package_id, r.id, r.organization_id, r.stars, l.id, r.pushed_at,"
        " bit_or(1 << (array_position(CAST(:kinds AS dependency_kind[]), d.dependency_type) - 1))"
        + "".join(f" | CASE WHEN {value} THEN {bit} ELSE 0 END" for bit, value in flags.items())
        + f", {_DEPENDENT_VIA}"
        " FROM dependencies d"
        " JOIN repositories r ON r.id = d.repository_id"
        " JOIN organizations o ON o.id = r.organization_id"
        # The dictionary holds every language a repository names (the triggers of 045).
        " LEFT JOIN languages l ON l.name = r.primary_language"
    )


_ROLLUP_RULES = readiness_rules_sql("o", "sum(m.n)", "max(m.p)")
_DEFAULT_VIEW = default_view_sql()
_IS_DIRECT = flag_sql(DIRECT)


def insert_usage(
    scope: str, returning: str = "", *, whole_packages: bool, sort_minimum: int
) -> TextClause:
    """INSERT of the rollup rows of the default view, for the dependents matching `scope`,
    scored for readiness from their owner's signals. A row's figures count the direct uses,
    or the transitive ones when there are none; its via counts the repositories of the
    transitive uses per direct dependency they arrive through, most first, then by name.
    A row is in the sort indexes when its package has `sort_minimum` organizations of direct
    use: counted over the rows written when `scope` takes whole packages, else as the
    package's count stands (apply_count_changes moves the rows of a package whose count
    crosses it)."""
    if whole_packages:
        indexed = (
            "count(*) FILTER (WHERE g.has_direct) OVER (PARTITION BY g.package_id)"
            f" >= {sort_minimum}"
        )
    else:
        indexed = (
            f"coalesce((SELECT pk.organization_count >= {sort_minimum} FROM packages pk"
            " WHERE pk.id = g.package_id), false)"
        )
    return text(
        "INSERT INTO package_usage (package_id, organization_id, login_key, owner_is_user,"
        " repository_count, total_stars, latest_push, languages, kinds, readiness_rules,"
        " readiness, has_direct_use, transitive_repository_count, via,"
        " sort_indexed)"
        " WITH matched AS ("
        f"  SELECT package_id, organization_id, language_id, {_IS_DIRECT} AS is_direct,"
        f"   count(*) AS n, sum(stars) AS s, max(pushed_at) AS p, bit_or(flags & {KINDS_BITS}) AS k"
        "  FROM package_dependents"
        f"  WHERE {_DEFAULT_VIEW} {scope}"
        "  GROUP BY package_id, organization_id, language_id, 4),"
        " counted AS ("
        "  SELECT *, bool_or(is_direct) OVER pair AS has_direct,"
        "   coalesce(sum(n) FILTER (WHERE NOT is_direct) OVER pair, 0) AS t"
        "  FROM matched WINDOW pair AS (PARTITION BY package_id, organization_id)),"
        " vias AS ("
        f"  SELECT package_id, organization_id, {STORED_VIA_SQL} AS via"
        "  FROM (SELECT package_id, organization_id, name, CAST(count(*) AS integer) AS c"
        "   FROM package_dependents, unnest(string_to_array(via, ' ')) AS name"
        f"   WHERE via IS NOT NULL AND {_DEFAULT_VIEW} {scope}"
        "   GROUP BY package_id, organization_id, name) named"
        "  GROUP BY package_id, organization_id),"
        " grouped AS ("
        "  SELECT m.package_id, m.organization_id, lower(o.login) AS login_key,"
        "   o.owner_type = 'user' AS owner_is_user,"
        f"   sum(m.n) AS n, sum(m.s) AS s, max(m.p) AS p, {stored_languages_sql('l.name')}"
        "   AS languages,"
        f"   bit_or(m.k) AS k, {_ROLLUP_RULES} AS rules, bool_or(m.has_direct) AS has_direct,"
        "   max(m.t) AS t"
        "  FROM counted m JOIN organizations o ON o.id = m.organization_id"
        "  LEFT JOIN languages l ON l.id = m.language_id"
        "  WHERE m.is_direct = m.has_direct"
        "  GROUP BY m.package_id, m.organization_id, o.id)"
        " SELECT g.package_id, g.organization_id, login_key, owner_is_user, n, s, p, languages, k,"
        f" rules, {score_sql('rules')}, has_direct, t, v.via, {indexed}"
        " FROM grouped g LEFT JOIN vias v"
        " ON v.package_id = g.package_id AND v.organization_id = g.organization_id" + returning
    )
