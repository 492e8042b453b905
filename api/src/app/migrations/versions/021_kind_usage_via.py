"""The per-kind rollup names what each organization's repositories of transitive use arrive
through (`via`, `via_counts`, as package_usage does), so a kind-filtered list reads its page's
via with its rows; the packages at least 20,000 repositories use directly are marked and their
rows written.

The table is refilled rather than updated in place: one pass over the marked packages'
dependents, grouped by kinds mask before they are spread over the kinds, written in the order
the lists read it, with its key and index built once after.

Revision ID: 021
Revises: 020
Create Date: 2026-11-30 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "021"
down_revision: str | None = "020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The minimum, the number of kinds (app.models.dependency.DEPENDENCY_TYPES) and VIA_LIMIT at
# this revision.
_MINIMUM = 20_000
_KINDS = 12
_VIA_LIMIT = 5
_DEPENDENTS = (
    "package_dependents pd JOIN packages pk ON pk.id = pd.package_id AND pk.has_kind_usage"
)
_WHERE = "NOT pd.is_fork AND NOT pd.is_archived AND NOT pd.is_noise"
_HELD = f"CROSS JOIN generate_series(0, {_KINDS - 1}) AS b(kind) WHERE m.kinds & (1 << b.kind) <> 0"


def upgrade() -> None:
    op.drop_index("ix_package_kind_usage_ranked", table_name="package_kind_usage")
    op.drop_constraint("pk_package_kind_usage", "package_kind_usage", type_="primary")
    op.execute("TRUNCATE package_kind_usage")
    op.add_column(
        "package_kind_usage", sa.Column("via", sa.ARRAY(sa.String(length=500)), nullable=True)
    )
    op.add_column(
        "package_kind_usage", sa.Column("via_counts", sa.ARRAY(sa.Integer()), nullable=True)
    )
    op.execute("SET LOCAL work_mem = '256MB'")
    op.execute(
        f"UPDATE packages SET has_kind_usage = repository_count >= {_MINIMUM}"
        f" WHERE has_kind_usage <> (repository_count >= {_MINIMUM})"
    )
    op.execute(
        "INSERT INTO package_kind_usage (package_id, organization_id, total_stars, latest_push,"
        " repository_count, transitive_repository_count, kind, kinds, languages, via,"
        " via_counts)"
        " WITH per_mask AS ("
        "  SELECT pd.package_id, pd.organization_id, pd.primary_language, pd.kinds,"
        "   count(*) FILTER (WHERE pd.is_direct) AS n,"
        "   count(*) FILTER (WHERE NOT pd.is_direct) AS t,"
        "   sum(pd.stars) FILTER (WHERE pd.is_direct) AS s,"
        "   max(pd.pushed_at) FILTER (WHERE pd.is_direct) AS p"
        f"  FROM {_DEPENDENTS} WHERE {_WHERE}"
        "  GROUP BY pd.package_id, pd.organization_id, pd.primary_language, pd.kinds),"
        " matched AS ("
        "  SELECT m.package_id, b.kind, m.organization_id, m.primary_language, sum(m.n) AS n,"
        "   sum(m.t) AS t, sum(m.s) AS s, max(m.p) AS p,"
        "   bit_or(m.kinds) FILTER (WHERE m.n > 0) AS k"
        f"  FROM per_mask m {_HELD}"
        "  GROUP BY m.package_id, b.kind, m.organization_id, m.primary_language),"
        " named AS ("
        "  SELECT package_id, kind, organization_id, n, t, s, p, k,"
        "   CASE WHEN n > 0 THEN primary_language END AS primary_language"
        "  FROM matched),"
        " grouped AS ("
        "  SELECT package_id, kind, organization_id, coalesce(sum(s), 0) AS s, max(p) AS p,"
        "   sum(n) AS n, sum(t) AS t, coalesce(bit_or(k), 0) AS k,"
        '   coalesce((array_agg(primary_language ORDER BY n DESC, primary_language COLLATE "C")'
        "    FILTER (WHERE primary_language IS NOT NULL))[1:3], '{}') AS languages"
        "  FROM named GROUP BY package_id, kind, organization_id),"
        " vias AS ("
        "  SELECT package_id, kind, organization_id,"
        f'   (array_agg(name ORDER BY c DESC, name COLLATE "C"))[1:{_VIA_LIMIT}] AS via,'
        f'   (array_agg(c ORDER BY c DESC, name COLLATE "C"))[1:{_VIA_LIMIT}] AS via_counts'
        "  FROM (SELECT m.package_id, b.kind, m.organization_id, m.name,"
        "    CAST(sum(m.c) AS integer) AS c"
        "   FROM (SELECT pd.package_id, pd.organization_id, pd.kinds, u.name, count(*) AS c"
        f"    FROM {_DEPENDENTS}, unnest(string_to_array(pd.via, ' ')) AS u(name)"
        f"    WHERE pd.via IS NOT NULL AND {_WHERE}"
        "    GROUP BY pd.package_id, pd.organization_id, pd.kinds, u.name) m"
        f"   {_HELD}"
        "   GROUP BY m.package_id, b.kind, m.organization_id, m.name) counted"
        "  GROUP BY package_id, kind, organization_id)"
        " SELECT g.package_id, g.organization_id, s, p, n, t, g.kind, k, languages, v.via,"
        " v.via_counts"
        " FROM grouped g LEFT JOIN vias v ON v.package_id = g.package_id AND v.kind = g.kind"
        "  AND v.organization_id = g.organization_id"
        " ORDER BY g.package_id, g.kind, n DESC, s DESC"
    )
    op.create_primary_key(
        "pk_package_kind_usage", "package_kind_usage", ["package_id", "organization_id", "kind"]
    )
    op.create_index(
        "ix_package_kind_usage_ranked",
        "package_kind_usage",
        ["package_id", "kind", "repository_count", "total_stars"],
    )
    op.execute("ANALYZE package_kind_usage")


def downgrade() -> None:
    op.drop_column("package_kind_usage", "via_counts")
    op.drop_column("package_kind_usage", "via")
