"""VACUUM (ANALYZE) the rollup migration 028 rewrote, outside a transaction (see 023).

Revision ID: 029
Revises: 028
Create Date: 2026-11-30 22:01:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "029"
down_revision: str | None = "028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("package_usage",))


def downgrade() -> None:
    """Nothing to undo."""
