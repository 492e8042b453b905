"""Two indexes of `repositories` that no query reads: the unique index on `github_url`, which
follows from `full_name` (unique case-insensitively), and the plain organization index, whose
work the organization's ranked index (led by the organization) does.

Revision ID: 039
Revises: 038
Create Date: 2026-12-01 05:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "039"
down_revision: str | None = "038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_repositories_github_url", "repositories", type_="unique")
    op.drop_index("ix_repositories_organization_id", table_name="repositories")


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.create_index("ix_repositories_organization_id", "repositories", ["organization_id"])
    op.create_unique_constraint("uq_repositories_github_url", "repositories", ["github_url"])
