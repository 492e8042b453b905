"""VACUUM (ANALYZE) `package_dependents`, which migration 040 rewrote, outside a transaction
(see 023); the analysis fills the flags' statistics too.

Revision ID: 041
Revises: 040
Create Date: 2026-12-01 06:01:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "041"
down_revision: str | None = "040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_dependents",))


def downgrade() -> None:
    """Nothing to undo."""
