"""Ingestion: when each organization was last crawled, so stale ones can be found and refreshed.

Revision ID: 003
Revises: 002
Create Date: 2026-11-28 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "003"
down_revision: str | None = "002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organizations", sa.Column("crawled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_organizations_crawled_at",
        "organizations",
        ["crawled_at"],
        postgresql_where=sa.text("crawled_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_organizations_crawled_at", table_name="organizations")
    op.drop_column("organizations", "crawled_at")
