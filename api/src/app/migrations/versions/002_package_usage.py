"""Read side of "who uses my package?": package_dependents, package_usage, ecosystem_stats.

Also the counts kept on packages, and the indexes that search and ranking read.

Revision ID: 002
Revises: 001
Create Date: 2026-11-26 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "002"
down_revision: str | None = "001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trusted since PostgreSQL 13: a database owner may create it without superuser rights.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.add_column(
        "packages",
        sa.Column("organization_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "packages",
        sa.Column("repository_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_packages_ranked",
        "packages",
        [sa.literal_column("organization_count DESC"), sa.literal_column("id DESC")],
    )
    op.create_index(
        "ix_packages_ecosystem_ranked",
        "packages",
        ["ecosystem", sa.literal_column("organization_count DESC"), sa.literal_column("id DESC")],
    )
    op.create_index(
        "ix_packages_name_trgm",
        "packages",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_organizations_ranked",
        "organizations",
        [sa.literal_column("total_stars DESC"), sa.literal_column("id DESC")],
    )
    op.create_index(
        "ix_organizations_login_trgm",
        "organizations",
        ["login"],
        postgresql_using="gin",
        postgresql_ops={"login": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_organizations_name_trgm",
        "organizations",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_repositories_organization_ranked",
        "repositories",
        ["organization_id", sa.literal_column("stars DESC"), sa.literal_column("id DESC")],
    )

    op.create_table(
        "package_dependents",
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("repository_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("owner_type", sa.String(length=20), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("primary_language", sa.String(length=100), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_fork", sa.Boolean(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("kinds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", "repository_id", name=op.f("pk_package_dependents")),
    )
    op.create_index(
        "ix_package_dependents_filter",
        "package_dependents",
        ["package_id", sa.literal_column("lower(primary_language)"), "stars"],
        postgresql_include=[
            "primary_language",
            "organization_id",
            "pushed_at",
            "kinds",
            "is_fork",
            "is_archived",
            "owner_type",
        ],
    )
    op.create_index(
        "ix_package_dependents_organization",
        "package_dependents",
        ["organization_id", "package_id", sa.literal_column("stars DESC")],
    )

    op.create_table(
        "package_usage",
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("login_key", sa.String(length=100, collation="C"), nullable=False),
        sa.Column("owner_type", sa.String(length=20), nullable=False),
        sa.Column("repository_count", sa.Integer(), nullable=False),
        sa.Column("total_stars", sa.BigInteger(), nullable=False),
        sa.Column("latest_push", sa.DateTime(timezone=True), nullable=True),
        sa.Column("languages", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("kinds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", "organization_id", name=op.f("pk_package_usage")),
    )
    op.create_index(
        "ix_package_usage_repositories",
        "package_usage",
        [
            "package_id",
            sa.literal_column("repository_count DESC"),
            sa.literal_column("organization_id DESC"),
        ],
    )
    op.create_index(
        "ix_package_usage_stars",
        "package_usage",
        [
            "package_id",
            sa.literal_column("total_stars DESC"),
            sa.literal_column("organization_id DESC"),
        ],
    )
    op.create_index(
        "ix_package_usage_recent",
        "package_usage",
        [
            "package_id",
            sa.literal_column("COALESCE(latest_push, '-infinity'::timestamp with time zone) DESC"),
            sa.literal_column("organization_id DESC"),
        ],
    )
    op.create_index(
        "ix_package_usage_name", "package_usage", ["package_id", "login_key", "organization_id"]
    )
    op.create_index(
        "ix_package_usage_organization",
        "package_usage",
        [
            "organization_id",
            sa.literal_column("repository_count DESC"),
            sa.literal_column("package_id DESC"),
        ],
    )

    op.create_table(
        "ecosystem_stats",
        sa.Column("ecosystem", sa.String(length=20), nullable=False),
        sa.Column("package_count", sa.Integer(), nullable=False),
        sa.Column("organization_count", sa.Integer(), nullable=False),
        sa.Column("repository_count", sa.Integer(), nullable=False),
        sa.Column("dependency_count", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ecosystem", name=op.f("pk_ecosystem_stats")),
    )


def downgrade() -> None:
    op.drop_table("ecosystem_stats")
    op.drop_table("package_usage")
    op.drop_table("package_dependents")
    op.drop_index("ix_repositories_organization_ranked", table_name="repositories")
    op.drop_index("ix_organizations_name_trgm", table_name="organizations")
    op.drop_index("ix_organizations_login_trgm", table_name="organizations")
    op.drop_index("ix_organizations_ranked", table_name="organizations")
    op.drop_index("ix_packages_name_trgm", table_name="packages")
    op.drop_index("ix_packages_ecosystem_ranked", table_name="packages")
    op.drop_index("ix_packages_ranked", table_name="packages")
    op.drop_column("packages", "repository_count")
    op.drop_column("packages", "organization_count")
    # pg_trgm stays: other objects of the database may use it.
