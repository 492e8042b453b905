"""VACUUM (ANALYZE) `dependencies`, which migration 038 rewrote, outside a transaction (see
023).

Revision ID: 039
Revises: 038
Create Date: 2026-12-01 05:01:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "039"
down_revision: str | None = "038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) dependencies")


def downgrade() -> None:
    """Nothing to undo."""
