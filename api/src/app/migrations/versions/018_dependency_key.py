"""Dependency rows are keyed by (repository, package, manifest path): the uuid id and its index,
the created/updated timestamps beside detected_at, and the per-row check of the package key
are gone.

Revision ID: 018
Revises: 017
Create Date: 2026-11-30 05:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "018"
down_revision: str | None = "017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ["repository_id", "package_id", "manifest_path"]


def upgrade() -> None:
    # One index build, the primary key over the natural key (the unique constraint's index
    # cannot be taken over: it belongs to that constraint); the rest changes the catalog only,
    # and dropped columns leave each stored row when it is next written.
    op.drop_constraint("pk_dependencies", "dependencies", type_="primary")
    op.drop_column("dependencies", "id")
    op.drop_constraint(
        "uq_dependencies_repository_id_package_id_manifest_path", "dependencies", type_="unique"
    )
    op.create_primary_key("pk_dependencies", "dependencies", _KEY)
    op.drop_column("dependencies", "created_at")
    op.drop_column("dependencies", "updated_at")
    # Packages are never deleted, and every write takes its package ids from the upsert of its
    # own transaction, which locks those rows until the commit: the foreign key's check, a
    # lookup per written row, could never fail. The repository's stays (deletes cascade).
    op.drop_constraint("fk_dependencies_package_id_packages", "dependencies", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        "fk_dependencies_package_id_packages",
        "dependencies",
        "packages",
        ["package_id"],
        ["id"],
        ondelete="CASCADE",
    )
    # now() is stable: a catalog default, no rewrite. uuidv7() is volatile: a rewrite.
    for column in ("created_at", "updated_at"):
        op.add_column(
            "dependencies",
            sa.Column(
                column, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
            ),
        )
    op.add_column(
        "dependencies",
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
    )
    op.drop_constraint("pk_dependencies", "dependencies", type_="primary")
    op.create_unique_constraint(
        "uq_dependencies_repository_id_package_id_manifest_path", "dependencies", _KEY
    )
    op.create_primary_key("pk_dependencies", "dependencies", ["id"])
