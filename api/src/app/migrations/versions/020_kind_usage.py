"""The most used packages keep their users per dependency kind: package_kind_usage holds, per
(package, kind, organization), the figures a kind-filtered users list shows, for the packages
at least 20,000 repositories use directly (marked `has_kind_usage`).

Built from package_dependents in one pass over those packages' rows; its key and index are
built once after the rows are in.

Revision ID: 020
Revises: 019
Create Date: 2026-11-30 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "020"
down_revision: str | None = "019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The minimum and the number of kinds (app.models.dependency.DEPENDENCY_TYPES) at this revision.
_MINIMUM = 20_000
_KINDS = 12


def upgrade() -> None:
    op.add_column(
        "packages",
        sa.Column("has_kind_usage", sa.Boolean(), server_default="false", nullable=False),
    )
    op.create_table(
        "package_kind_usage",
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("total_stars", sa.BigInteger(), nullable=False),
        sa.Column("latest_push", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repository_count", sa.Integer(), nullable=False),
        sa.Column("transitive_repository_count", sa.Integer(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("kinds", sa.SmallInteger(), nullable=False),
        sa.Column("languages", sa.ARRAY(sa.String(length=100)), nullable=False),
    )
    op.execute(f"UPDATE packages SET has_kind_usage = true WHERE repository_count >= {_MINIMUM}")
    # The per-language groups of a few million dependents, aggregated in memory.
    op.execute("SET LOCAL work_mem = '256MB'")
    op.execute(
        "INSERT INTO package_kind_usage (package_id, organization_id, total_stars, latest_push,"
        " repository_count, transitive_repository_count, kind, kinds, languages)"
        " WITH matched AS ("
        "  SELECT pd.package_id, b.kind, pd.organization_id, pd.primary_language,"
        "   count(*) FILTER (WHERE pd.is_direct) AS n,"
        "   count(*) FILTER (WHERE NOT pd.is_direct) AS t,"
        "   sum(pd.stars) FILTER (WHERE pd.is_direct) AS s,"
        "   max(pd.pushed_at) FILTER (WHERE pd.is_direct) AS p,"
        "   bit_or(pd.kinds) FILTER (WHERE pd.is_direct) AS k"
        "  FROM package_dependents pd"
        "  JOIN packages pk ON pk.id = pd.package_id AND pk.has_kind_usage"
        f"  CROSS JOIN generate_series(0, {_KINDS - 1}) AS b(kind)"
        "  WHERE NOT pd.is_fork AND NOT pd.is_archived AND NOT pd.is_noise"
        "   AND pd.kinds & (1 << b.kind) <> 0"
        "  GROUP BY pd.package_id, b.kind, pd.organization_id, pd.primary_language),"
        " named AS ("
        "  SELECT package_id, kind, organization_id, n, t, s, p, k,"
        "   CASE WHEN n > 0 THEN primary_language END AS primary_language"
        "  FROM matched)"
        " SELECT package_id, organization_id, coalesce(sum(s), 0), max(p), sum(n), sum(t),"
        " kind, coalesce(bit_or(k), 0),"
        '  coalesce((array_agg(primary_language ORDER BY n DESC, primary_language COLLATE "C")'
        "   FILTER (WHERE primary_language IS NOT NULL))[1:3], '{}')"
        " FROM named GROUP BY package_id, kind, organization_id"
        # Written in the order a list reads them, so a page's rows share a few heap pages.
        " ORDER BY package_id, kind, sum(n) DESC, coalesce(sum(s), 0) DESC"
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
    op.drop_table("package_kind_usage")
    op.drop_column("packages", "has_kind_usage")
