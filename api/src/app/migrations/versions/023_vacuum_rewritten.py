"""VACUUM (ANALYZE) the tables migration 022 rewrote. A rewritten table starts with an empty
visibility map, so the covering indexes' index-only scans would visit the heap for every row,
and its rewritten columns have no statistics; neither counts as a change that wakes
autovacuum. VACUUM cannot run in a transaction: this revision commits the ones before it, then
vacuums outside one, so a stop halfway leaves it to run again. Only the tables that hold rows
are vacuumed (app/migrations/vacuum.py): a new installation's stay never vacuumed.

Revision ID: 023
Revises: 022
Create Date: 2026-11-30 21:10:00.000000
"""

from collections.abc import Sequence

from app.migrations.vacuum import vacuum_analyze

revision: str = "023"
down_revision: str | None = "022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REWRITTEN = (
    "organizations",
    "packages",
    "repositories",
    "dependencies",
    "package_dependents",
    "package_usage",
    "package_kind_usage",
    "usage_events",
)


def upgrade() -> None:
    vacuum_analyze(_REWRITTEN)


def downgrade() -> None:
    """Nothing to undo."""
