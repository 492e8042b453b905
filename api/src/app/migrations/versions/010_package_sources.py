"""Each package's source repository owner, so a maintainer's portfolio is one index lookup.

Revision ID: 010
Revises: 009
Create Date: 2026-11-30 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "010"
down_revision: str | None = "009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("packages", sa.Column("source_owner", sa.String(length=100), nullable=True))
    # Packages whose repository_url already names a GitHub repository get their owner.
    op.execute(
        "UPDATE packages SET source_owner = lower(substring(repository_url"
        " FROM 'github\\.com[/:]+([A-Za-z0-9-]{1,39})/'))"
        " WHERE repository_url ILIKE '%github.com%'"
    )
    op.create_index(
        "ix_packages_source_owner",
        "packages",
        ["source_owner"],
        postgresql_where=sa.text("source_owner IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_packages_source_owner", table_name="packages")
    op.drop_column("packages", "source_owner")
