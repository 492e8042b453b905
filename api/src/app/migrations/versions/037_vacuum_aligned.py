"""VACUUM (ANALYZE) the derived tables, which migration 036 rewrote, outside a transaction
(see 023).

Revision ID: 037
Revises: 036
Create Date: 2026-12-01 04:41:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "037"
down_revision: str | None = "036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table in ("package_dependents", "package_usage", "package_kind_usage"):
            op.execute(f"VACUUM (ANALYZE) {table}")


def downgrade() -> None:
    """Nothing to undo."""
