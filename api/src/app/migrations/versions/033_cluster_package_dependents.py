"""Lay `package_dependents` out in the order of `ix_package_dependents_pair` (package,
organization, stars), as a whole-package rebuild now writes it: one organization's rows of a
package, which the refresh of a (package, organization) pair and a users page's sample
repositories read, share pages instead of lying one per page. `CLUSTER package_dependents`
lays it out again after much ingest. 034 vacuums the rewritten table.

Revision ID: 033
Revises: 032
Create Date: 2026-12-01 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "033"
down_revision: str | None = "032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute("CLUSTER package_dependents USING ix_package_dependents_pair")


def downgrade() -> None:
    """The rows stay where they are; only the index CLUSTER would use again is forgotten."""
    op.execute("ALTER TABLE package_dependents SET WITHOUT CLUSTER")
