"""VACUUM (ANALYZE) the two rollups migration 026 rewrote, outside a transaction (see 023).

Revision ID: 027
Revises: 026
Create Date: 2026-11-30 21:46:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "027"
down_revision: str | None = "026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_usage", "package_kind_usage"))


def downgrade() -> None:
    """Nothing to undo."""
