"""VACUUM (ANALYZE) `dependencies`, which migration 042 rewrote, and `manifest_paths`, which it
filled, outside a transaction (see 023).

Revision ID: 043
Revises: 042
Create Date: 2026-12-01 06:21:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "043"
down_revision: str | None = "042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vacuum_analyze(("dependencies", "manifest_paths"))


def downgrade() -> None:
    """Nothing to undo."""
