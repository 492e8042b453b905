"""A filtered users list reads the via of its page's organizations from a partial covering
index over the transitive package_dependents rows.

Revision ID: 019
Revises: 018
Create Date: 2026-11-30 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "019"
down_revision: str | None = "018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_package_dependents_via",
        "package_dependents",
        ["package_id", "organization_id"],
        postgresql_include=[
            "via",
            "kinds",
            "stars",
            "primary_language",
            "is_fork",
            "is_archived",
            "is_noise",
        ],
        postgresql_where=sa.text("via IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_package_dependents_via", table_name="package_dependents")
