"""VACUUM (ANALYZE) `package_dependents`, which migration 045 rewrote, and `languages`, outside
a transaction (see 023); the analysis fills the flags' statistics too.

Revision ID: 046
Revises: 045
Create Date: 2026-12-01 08:01:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "046"
down_revision: str | None = "045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_dependents", "languages"))


def downgrade() -> None:
    """Nothing to undo."""
