"""The rollup's indexes for the `stars`, `recent`, `readiness` and `name` sorts hold only the
rows of packages at least 2,000 organizations use directly (`package_usage.sort_indexed`); a
smaller package's rows, two thirds of all on the full dataset, are read through a small index
of their own and ordered. The flag is filled by one rewrite of the table, the indexes built
after it.

Revision ID: 028
Revises: 027
Create Date: 2026-11-30 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "028"
down_revision: str | None = "027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app.models.package_usage.SORT_INDEX_MIN_ORGANIZATIONS at this revision.
_MINIMUM = 2_000
# (name, key expressions) of the four sort indexes.
_SORTS: tuple[tuple[str, list[str | sa.TextClause]], ...] = (
    (
        "ix_package_usage_stars",
        ["package_id", sa.text("total_stars DESC"), sa.text("organization_id DESC")],
    ),
    (
        "ix_package_usage_recent",
        [
            "package_id",
            sa.text("COALESCE(latest_push, '-infinity'::timestamp with time zone) DESC"),
            sa.text("organization_id DESC"),
        ],
    ),
    ("ix_package_usage_name", ["package_id", "login_key", "organization_id"]),
    (
        "ix_package_usage_readiness",
        ["package_id", sa.text("readiness DESC"), sa.text("organization_id DESC")],
    ),
)


def _create_sort_indexes(where: str) -> None:
    for name, columns in _SORTS:
        op.create_index(name, "package_usage", columns, postgresql_where=sa.text(where))


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for name, _ in _SORTS:
        op.drop_index(name, table_name="package_usage")
    op.add_column(
        "package_usage",
        sa.Column("sort_indexed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.execute(
        "CREATE FUNCTION pg_temp.sort_indexed(integer) RETURNS boolean LANGUAGE sql STABLE"
        f" AS 'SELECT coalesce((SELECT organization_count >= {_MINIMUM} FROM packages"
        " WHERE id = $1), false)'"
    )
    op.execute(
        "ALTER TABLE package_usage ALTER COLUMN sort_indexed TYPE boolean"
        " USING pg_temp.sort_indexed(package_id)"
    )
    op.execute("DROP FUNCTION pg_temp.sort_indexed(integer)")
    _create_sort_indexes("has_direct_use AND sort_indexed")
    op.create_index(
        "ix_package_usage_unsorted",
        "package_usage",
        ["package_id"],
        postgresql_where=sa.text("has_direct_use AND NOT sort_indexed"),
    )


def downgrade() -> None:
    op.drop_index("ix_package_usage_unsorted", table_name="package_usage")
    for name, _ in _SORTS:
        op.drop_index(name, table_name="package_usage")
    op.drop_column("package_usage", "sort_indexed")
    _create_sort_indexes("has_direct_use")
