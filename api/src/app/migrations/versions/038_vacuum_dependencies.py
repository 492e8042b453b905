"""VACUUM (ANALYZE) `dependencies`, which migration 037 rewrote, outside a transaction (see
023).

Revision ID: 038
Revises: 037
Create Date: 2026-12-01 05:01:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "038"
down_revision: str | None = "037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("dependencies",))


def downgrade() -> None:
    """Nothing to undo."""
