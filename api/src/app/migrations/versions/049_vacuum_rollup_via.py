"""VACUUM (ANALYZE) the rollups, which migration 048 rewrote, outside a transaction (see 023).

Revision ID: 049
Revises: 048
Create Date: 2026-12-01 09:01:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "049"
down_revision: str | None = "048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_usage", "package_kind_usage"))


def downgrade() -> None:
    """Nothing to undo."""
