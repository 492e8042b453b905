"""The covering filter index of `package_dependents` holds only the rows of packages at least
10,000 repositories use directly (`package_dependents.filter_indexed`); a smaller package's
rows, two thirds of all on the full dataset, are read from the table through a small index
whose key is the package of a row outside the filter index (NULL inside it), so its statistics
tell the planner that a large package has no rows there. A plain package index serves the
refresh by package. The flag is filled by one rewrite of the table, the indexes built after it.

Revision ID: 030
Revises: 029
Create Date: 2026-12-01 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "030"
down_revision: str | None = "029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app.models.package_usage.FILTER_INDEX_MIN_REPOSITORIES at this revision.
_MINIMUM = 10_000
_KEY: list[str | sa.TextClause] = [
    "package_id",
    sa.text("lower(primary_language)"),
    "stars",
]
_INCLUDED = [
    "primary_language",
    "organization_id",
    "pushed_at",
    "kinds",
    "is_fork",
    "is_archived",
    "owner_is_user",
    "is_noise",
    "is_direct",
]


def _create_filter_index(where: str | None) -> None:
    op.create_index(
        "ix_package_dependents_filter",
        "package_dependents",
        _KEY,
        postgresql_include=_INCLUDED,
        postgresql_where=sa.text(where) if where else None,
    )


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.drop_index("ix_package_dependents_filter", table_name="package_dependents")
    op.add_column(
        "package_dependents",
        sa.Column("filter_indexed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    large = op.get_bind().execute(
        sa.text("SELECT id FROM packages WHERE repository_count >= :minimum ORDER BY id"),
        {"minimum": _MINIMUM},
    )
    # A literal: a rewrite's USING takes no parameters. The ids are integers from the table.
    ids = ",".join(str(int(package_id)) for (package_id,) in large)
    op.execute(
        "ALTER TABLE package_dependents ALTER COLUMN filter_indexed TYPE boolean"
        f" USING package_id = ANY('{{{ids}}}'::integer[])"
    )
    _create_filter_index("filter_indexed")
    op.create_index("ix_package_dependents_package", "package_dependents", ["package_id"])
    op.create_index(
        "ix_package_dependents_unindexed",
        "package_dependents",
        [sa.text("(CASE WHEN filter_indexed THEN NULL::integer ELSE package_id END)")],
    )


def downgrade() -> None:
    op.drop_index("ix_package_dependents_unindexed", table_name="package_dependents")
    op.drop_index("ix_package_dependents_package", table_name="package_dependents")
    op.drop_index("ix_package_dependents_filter", table_name="package_dependents")
    op.drop_column("package_dependents", "filter_indexed")
    _create_filter_index(None)
