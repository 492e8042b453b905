"""The derived tables' indexes built packed (fillfactor 100): they are read far more often than
written, and PostgreSQL's default leaves a tenth of each leaf page free for inserts.

Revision ID: 035
Revises: 034
Create Date: 2026-12-01 04:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "035"
down_revision: str | None = "034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "package_dependents": (
        "pk_package_dependents",
        "ix_package_dependents_pair",
        "ix_package_dependents_unindexed",
        "ix_package_dependents_filter",
        "ix_package_dependents_via",
    ),
    "package_usage": (
        "pk_package_usage",
        "ix_package_usage_repositories",
        "ix_package_usage_stars",
        "ix_package_usage_recent",
        "ix_package_usage_name",
        "ix_package_usage_readiness",
        "ix_package_usage_unsorted",
        "ix_package_usage_organization",
    ),
    "package_kind_usage": ("pk_package_kind_usage", "ix_package_kind_usage_ranked"),
}


def _rebuild(setting: str) -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for table, indexes in INDEXES.items():
        for index in indexes:
            op.execute(f"ALTER INDEX {index} {setting}")
        op.execute(f"REINDEX TABLE {table}")


def upgrade() -> None:
    _rebuild("SET (fillfactor = 100)")


def downgrade() -> None:
    _rebuild("RESET (fillfactor)")
