"""One index of `package_dependents` by package, organization and stars serves the refresh of
(package, organization) pairs, the refresh by package, and each organization's repositories of
a package in stars order (a users page's sample repositories, an organization's repositories),
in place of the same index led by the organization and a plain package index.

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
        "ix_package_dependents_pair",
        "package_dependents",
        ["package_id", "organization_id", sa.text("stars DESC")],
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
