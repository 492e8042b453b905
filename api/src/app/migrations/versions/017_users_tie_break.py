"""The default users order breaks ties by stars, then login: its rollup index holds the negated
repository and star counts and the login key, so the mixed order is one ascending range.

Revision ID: 017
Revises: 016
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "017"
down_revision: str | None = "016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _index(columns: list[str]) -> None:
    op.create_index(
        "ix_package_usage_repositories",
        "package_usage",
        [sa.text(column) for column in columns],
        postgresql_where=sa.text("has_direct_use"),
    )


def upgrade() -> None:
    op.drop_index("ix_package_usage_repositories", table_name="package_usage")
    _index(["package_id", "(- repository_count)", "(- total_stars)", "login_key"])


def downgrade() -> None:
    op.drop_index("ix_package_usage_repositories", table_name="package_usage")
    _index(["package_id", "repository_count DESC", "organization_id DESC"])
