"""VACUUM (ANALYZE) the two tables migration 024 rewrote, outside a transaction (see 023).

Revision ID: 025
Revises: 024
Create Date: 2026-11-30 21:31:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "025"
down_revision: str | None = "024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_dependents", "package_usage"))


def downgrade() -> None:
    """Nothing to undo."""
