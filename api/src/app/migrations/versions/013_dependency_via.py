"""Dependency rows of transitive packages keep the direct dependencies that pull them in.

Revision ID: 013
Revises: 012
Create Date: 2026-11-30 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "013"
down_revision: str | None = "012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: a catalog change, no table rewrite.
    op.add_column("dependencies", sa.Column("via", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("dependencies", "via")
