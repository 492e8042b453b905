"""The most used packages keep their users per dependency kind: package_kind_usage holds, per
(package, kind, organization), the figures a kind-filtered users list shows, for the packages
at least 20,000 repositories use directly (marked `has_kind_usage`).

The table starts empty and no package is marked: revision 021, which adds the via, marks the
packages and fills the table in one pass.

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
    op.create_primary_key(
        "pk_package_kind_usage", "package_kind_usage", ["package_id", "organization_id", "kind"]
    )
    op.create_index(
        "ix_package_kind_usage_ranked",
        "package_kind_usage",
        ["package_id", "kind", "repository_count", "total_stars"],
    )


def downgrade() -> None:
    op.drop_table("package_kind_usage")
    op.drop_column("packages", "has_kind_usage")
