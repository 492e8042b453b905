"""VACUUM (ANALYZE) `package_dependents`, which migration 033 rewrote, outside a transaction
(see 023).

Revision ID: 034
Revises: 033
Create Date: 2026-12-01 04:01:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "034"
down_revision: str | None = "033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_dependents",))


def downgrade() -> None:
    """Nothing to undo."""
