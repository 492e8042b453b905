"""The rollup's index of the default users order (repositories, stars, login) holds only the
rows of packages at least 2,000 organizations use directly (`sort_indexed`), as the other
sorts' indexes have since 028: a smaller package's rows, two thirds of all on the full
dataset, are read through `ix_package_usage_unsorted` and ordered, at most 2,000 rows.

Revision ID: 047
Revises: 046
Create Date: 2026-12-01 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "047"
down_revision: str | None = "046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: list[str | sa.TextClause] = [
    "package_id",
    sa.text("(- repository_count)"),
    sa.text("(- total_stars)"),
    "login_key",
]


def _recreate(where: str) -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.drop_index("ix_package_usage_repositories", table_name="package_usage")
    op.create_index(
        "ix_package_usage_repositories",
        "package_usage",
        _COLUMNS,
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    _recreate("has_direct_use AND sort_indexed")


def downgrade() -> None:
    _recreate("has_direct_use")
