"""VACUUM (ANALYZE) the derived tables, which migration 035 rewrote, outside a transaction
(see 023).

Revision ID: 036
Revises: 035
Create Date: 2026-12-01 04:41:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "036"
down_revision: str | None = "035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_dependents", "package_usage", "package_kind_usage"))


def downgrade() -> None:
    """Nothing to undo."""
