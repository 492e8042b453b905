"""The package index of `dependencies`, which no query of the service reads: the lookups by
package name a repository too (a page's declarations, an aggregator's scoped writes, a usage
event's evidence) and go through the key, which leads with the repository; only a rebuild of
whole packages reads by package alone, and it reads most of the table.

Revision ID: 044
Revises: 043
Create Date: 2026-12-01 06:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "044"
down_revision: str | None = "043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_dependencies_package_id", table_name="dependencies")


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.create_index("ix_dependencies_package_id", "dependencies", ["package_id"])
