"""Refreshing the read side after an ingest finds a repository's package_dependents rows through
an index of their own instead of scanning the primary key for every package.

Revision ID: 005
Revises: 004
Create Date: 2026-11-27 03:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "005"
down_revision: str | None = "004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_package_dependents_repository", "package_dependents", ["repository_id"])


def downgrade() -> None:
    op.drop_index("ix_package_dependents_repository", table_name="package_dependents")
