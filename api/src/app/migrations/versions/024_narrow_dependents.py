"""The per-package dependents and the rollup hold the owner's type as a flag (`owner_is_user`,
1 byte instead of the type's name) and the kinds mask as a smallint (12 kinds); the dependents'
primary key leads with the repository, which serves the refresh's reads and deletes by
repository, so their separate repository index goes. One rewrite per table.

Revision ID: 024
Revises: 023
Create Date: 2026-11-30 21:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "024"
down_revision: str | None = "023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("package_dependents", "package_usage")


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    # Dropped before the rewrite, which would otherwise rebuild them first.
    op.drop_index("ix_package_dependents_repository", table_name="package_dependents")
    op.drop_constraint("pk_package_dependents", "package_dependents", type_="primary")
    for table in _TABLES:
        op.execute(
            f"ALTER TABLE {table}"
            " ALTER COLUMN owner_type TYPE boolean USING owner_type = 'user',"
            " ALTER COLUMN kinds TYPE smallint"
        )
        op.alter_column(table, "owner_type", new_column_name="owner_is_user")
    op.create_primary_key(
        "pk_package_dependents", "package_dependents", ["repository_id", "package_id"]
    )


def downgrade() -> None:
    op.drop_constraint("pk_package_dependents", "package_dependents", type_="primary")
    for table in _TABLES:
        op.alter_column(table, "owner_is_user", new_column_name="owner_type")
        op.execute(
            f"ALTER TABLE {table}"
            " ALTER COLUMN owner_type TYPE varchar(20)"
            " USING CASE WHEN owner_type THEN 'user' ELSE 'organization' END,"
            " ALTER COLUMN kinds TYPE integer"
        )
    op.create_primary_key(
        "pk_package_dependents", "package_dependents", ["package_id", "repository_id"]
    )
    op.create_index("ix_package_dependents_repository", "package_dependents", ["repository_id"])
