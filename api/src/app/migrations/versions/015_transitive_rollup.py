"""The read side tells direct from transitive use: package_dependents marks the repositories
that use a package only through their lockfiles (and through which direct dependencies), the
rollup counts direct use with the transitive repositories and via beside it, and packages count
the organizations that use them only transitively.

Set-based and proportional to the transitive data: the new columns are catalog changes whose
defaults describe direct use, so only the (package, repository) pairs with a transitive
dependency row are rewritten, then the rollup rows of their (package, organization) pairs and
the counts of their packages; the indexes that change are rebuilt once each.

Revision ID: 015
Revises: 014
Create Date: 2026-11-30 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "015"
down_revision: str | None = "014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILTER_INCLUDE = [
    "primary_language",
    "organization_id",
    "pushed_at",
    "kinds",
    "is_fork",
    "is_archived",
    "owner_type",
    "is_noise",
]
# The rollup's sort indexes: (name, key columns), each over the package's direct users.
_SORT_INDEXES = (
    (
        "ix_package_usage_repositories",
        ["package_id", "repository_count DESC", "organization_id DESC"],
    ),
    ("ix_package_usage_stars", ["package_id", "total_stars DESC", "organization_id DESC"]),
    (
        "ix_package_usage_recent",
        [
            "package_id",
            "COALESCE(latest_push, '-infinity'::timestamp with time zone) DESC",
            "organization_id DESC",
        ],
    ),
    ("ix_package_usage_name", ["package_id", "login_key", "organization_id"]),
    ("ix_package_usage_readiness", ["package_id", "readiness DESC", "organization_id DESC"]),
    (
        "ix_package_usage_organization",
        ["organization_id", "repository_count DESC", "package_id DESC"],
    ),
)
_NON_USAGE = "('excluded', 'managed', 'suggested')"
_DEFAULT_VIEW = "NOT pd.is_fork AND NOT pd.is_archived AND NOT pd.is_noise"
# The readiness rules and score as they are at this revision (app.core.readiness).
_RULES = (
    "(CASE WHEN coalesce((greatest(coalesce(o.sponsoring_count, 0),"
    " coalesce(o.sponsorships_as_sponsor, 0)) > 0), false) THEN 1 ELSE 0 END"
    " + CASE WHEN coalesce(((coalesce(o.has_sponsors_listing, false)"
    " OR jsonb_array_length(o.funding_links) > 0)), false) THEN 2 ELSE 0 END"
    " + CASE WHEN coalesce((g.n >= 10), false) THEN 4 ELSE 0 END"
    " + CASE WHEN coalesce((g.n >= 3 AND g.n < 10), false) THEN 8 ELSE 0 END"
    " + CASE WHEN coalesce((g.p >= now() - interval '30 days'), false) THEN 16 ELSE 0 END"
    " + CASE WHEN coalesce((g.p < now() - interval '30 days'"
    " AND g.p >= now() - interval '180 days'), false) THEN 32 ELSE 0 END"
    " + CASE WHEN coalesce((o.is_verified), false) THEN 64 ELSE 0 END"
    " + CASE WHEN coalesce(((o.website_url IS NOT NULL OR o.email IS NOT NULL"
    " OR o.twitter_username IS NOT NULL)), false) THEN 128 ELSE 0 END)"
)
_POINTS = ((1, 40), (2, 10), (4, 20), (8, 10), (16, 15), (32, 8), (64, 10), (128, 5))


def _score(rules: str) -> str:
    parts = [
        f"CASE WHEN ({rules}) & {bit} <> 0 THEN {points} ELSE 0 END" for bit, points in _POINTS
    ]
    return "(" + " + ".join(parts) + ")"


def _sort_indexes(where: str | None) -> None:
    for name, columns in _SORT_INDEXES:
        op.create_index(
            name,
            "package_usage",
            [sa.text(column) for column in columns],
            postgresql_where=sa.text(where) if where else None,
        )


def upgrade() -> None:
    op.add_column(
        "package_dependents",
        sa.Column("is_direct", sa.Boolean(), server_default="true", nullable=False),
    )
    op.add_column("package_dependents", sa.Column("via", sa.Text(), nullable=True))
    op.add_column(
        "package_usage",
        sa.Column("has_direct_use", sa.Boolean(), server_default="true", nullable=False),
    )
    op.add_column(
        "package_usage",
        sa.Column("transitive_repository_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("package_usage", sa.Column("via", sa.ARRAY(sa.String(500)), nullable=True))
    op.add_column("package_usage", sa.Column("via_counts", sa.ARRAY(sa.Integer()), nullable=True))
    op.add_column(
        "packages",
        sa.Column(
            "transitive_organization_count", sa.Integer(), server_default="0", nullable=False
        ),
    )
    # The (package, repository) pairs some dependency row marks transitive; those with no
    # direct declaration become transitive dependents with the union of their via.
    op.execute(
        "CREATE TEMPORARY TABLE transitive_dependents ON COMMIT DROP AS"
        " SELECT d.repository_id, d.package_id,"
        "  (SELECT string_agg(v.name, ' ' ORDER BY v.first) FROM"
        "   (SELECT u.name, min(u.position) AS first FROM unnest(string_to_array("
        "    string_agg(d.via, ' ' ORDER BY d.manifest_path), ' ')) WITH ORDINALITY"
        "    AS u(name, position) GROUP BY u.name ORDER BY first LIMIT 10) v) AS via"
        " FROM dependencies d"
        " WHERE (d.repository_id, d.package_id) IN"
        "  (SELECT repository_id, package_id FROM dependencies WHERE is_direct IS FALSE)"
        f" AND d.dependency_type NOT IN {_NON_USAGE}"
        " GROUP BY d.repository_id, d.package_id"
        " HAVING NOT bool_or(d.is_direct IS NOT FALSE)"
    )
    op.execute(
        "UPDATE package_dependents pd SET is_direct = false, via = t.via"
        " FROM transitive_dependents t"
        " WHERE pd.repository_id = t.repository_id AND pd.package_id = t.package_id"
    )
    op.drop_index("ix_package_dependents_filter", table_name="package_dependents")
    op.create_index(
        "ix_package_dependents_filter",
        "package_dependents",
        ["package_id", sa.literal_column("lower(primary_language)"), "stars"],
        postgresql_include=[*_FILTER_INCLUDE, "is_direct"],
    )
    # Their (package, organization) rollup rows are recomputed as the refresh computes them.
    op.execute(
        "CREATE TEMPORARY TABLE transitive_pairs ON COMMIT DROP AS"
        " SELECT DISTINCT pd.package_id, pd.organization_id FROM package_dependents pd"
        f" WHERE NOT pd.is_direct AND {_DEFAULT_VIEW}"
    )
    op.execute(
        "DELETE FROM package_usage u USING transitive_pairs t"
        " WHERE u.package_id = t.package_id AND u.organization_id = t.organization_id"
    )
    op.execute(
        "INSERT INTO package_usage (package_id, organization_id, login_key, owner_type,"
        " repository_count, total_stars, latest_push, languages, kinds, readiness_rules,"
        " readiness, has_direct_use, transitive_repository_count, via, via_counts)"
        " WITH scoped AS ("
        "  SELECT pd.* FROM package_dependents pd JOIN transitive_pairs t"
        "   ON t.package_id = pd.package_id AND t.organization_id = pd.organization_id"
        f"  WHERE {_DEFAULT_VIEW}),"
        " matched AS ("
        "  SELECT package_id, organization_id, primary_language, is_direct, count(*) AS n,"
        "   sum(stars) AS s, max(pushed_at) AS p, bit_or(kinds) AS k"
        "  FROM scoped GROUP BY package_id, organization_id, primary_language, is_direct),"
        " counted AS ("
        "  SELECT *, bool_or(is_direct) OVER pair AS has_direct,"
        "   coalesce(sum(n) FILTER (WHERE NOT is_direct) OVER pair, 0) AS t"
        "  FROM matched WINDOW pair AS (PARTITION BY package_id, organization_id)),"
        " vias AS ("
        "  SELECT package_id, organization_id,"
        '   (array_agg(name ORDER BY c DESC, name COLLATE "C"))[1:5] AS via,'
        '   (array_agg(c ORDER BY c DESC, name COLLATE "C"))[1:5] AS via_counts'
        "  FROM (SELECT package_id, organization_id, name, CAST(count(*) AS integer) AS c"
        "   FROM scoped, unnest(string_to_array(via, ' ')) AS name WHERE via IS NOT NULL"
        "   GROUP BY package_id, organization_id, name) named"
        "  GROUP BY package_id, organization_id),"
        " grouped AS ("
        "  SELECT package_id, organization_id, sum(n) AS n, sum(s) AS s, max(p) AS p,"
        '   coalesce((array_agg(primary_language ORDER BY n DESC, primary_language COLLATE "C")'
        "    FILTER (WHERE primary_language IS NOT NULL))[1:3], '{}') AS languages,"
        "   bit_or(k) AS k, bool_or(has_direct) AS has_direct, max(t) AS t"
        "  FROM counted WHERE is_direct = has_direct GROUP BY package_id, organization_id),"
        " ruled AS ("
        f"  SELECT g.*, lower(o.login) AS login_key, o.owner_type, {_RULES} AS rules"
        "  FROM grouped g JOIN organizations o ON o.id = g.organization_id)"
        " SELECT r.package_id, r.organization_id, login_key, owner_type, n, s, p, languages, k,"
        f" rules, {_score('rules')}, has_direct, t, v.via, v.via_counts"
        " FROM ruled r LEFT JOIN vias v"
        " ON v.package_id = r.package_id AND v.organization_id = r.organization_id"
    )
    op.execute(
        "UPDATE packages p SET organization_count = c.organizations,"
        " repository_count = c.repositories, transitive_organization_count = c.transitive"
        " FROM (SELECT p2.id, count(u.package_id) FILTER (WHERE u.has_direct_use) AS organizations,"
        "   coalesce(sum(u.repository_count) FILTER (WHERE u.has_direct_use), 0) AS repositories,"
        "   count(u.package_id) FILTER (WHERE NOT u.has_direct_use) AS transitive"
        "  FROM packages p2 LEFT JOIN package_usage u ON u.package_id = p2.id"
        "  WHERE p2.id IN (SELECT package_id FROM transitive_pairs) GROUP BY p2.id) c"
        " WHERE p.id = c.id"
    )
    for name, _ in _SORT_INDEXES:
        op.drop_index(name, table_name="package_usage")
    _sort_indexes("has_direct_use")


def downgrade() -> None:
    for name, _ in _SORT_INDEXES:
        op.drop_index(name, table_name="package_usage")
    # Rows of transitive use only go; the others keep their direct figures until a refresh.
    op.execute("DELETE FROM package_usage WHERE NOT has_direct_use")
    _sort_indexes(None)
    op.drop_column("packages", "transitive_organization_count")
    for column in ("via_counts", "via", "transitive_repository_count", "has_direct_use"):
        op.drop_column("package_usage", column)
    op.drop_index("ix_package_dependents_filter", table_name="package_dependents")
    op.create_index(
        "ix_package_dependents_filter",
        "package_dependents",
        ["package_id", sa.literal_column("lower(primary_language)"), "stars"],
        postgresql_include=_FILTER_INCLUDE,
    )
    op.drop_column("package_dependents", "via")
    op.drop_column("package_dependents", "is_direct")
