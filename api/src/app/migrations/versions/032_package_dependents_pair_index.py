"""One index of `package_dependents` by (package, organization) serves both the refresh of
(package, organization) pairs and the refresh by package, in place of an index by organization
(package, stars) and a plain package index: 17 bytes per row against 35 on the full dataset, as
the rows of one organization's repositories share a key.

Revision ID: 032
Revises: 031
Create Date: 2026-12-01 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "032"
down_revision: str | None = "031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.create_index(
        "ix_package_dependents_pair", "package_dependents", ["package_id", "organization_id"]
    )
    op.drop_index("ix_package_dependents_organization", table_name="package_dependents")
    op.drop_index("ix_package_dependents_package", table_name="package_dependents")


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.create_index("ix_package_dependents_package", "package_dependents", ["package_id"])
    op.create_index(
        "ix_package_dependents_organization",
        "package_dependents",
        ["organization_id", "package_id", sa.text("stars DESC")],
    )
    op.drop_index("ix_package_dependents_pair", table_name="package_dependents")
