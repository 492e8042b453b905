"""Initial schema: organizations, repositories, packages, dependencies and api_keys.

Revision ID: 001
Revises:
Create Date: 2026-11-26 17:40:38.338301
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("key_prefix", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tier", sa.String(length=20), server_default="free", nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("ARRAY['read']::varchar[]"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("tier IN ('free', 'pro', 'enterprise')", name=op.f("ck_api_keys_tier")),
        sa.CheckConstraint(
            "rate_limit IS NULL OR rate_limit > 0", name=op.f("ck_api_keys_rate_limit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "organizations",
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column(
            "owner_type", sa.String(length=20), server_default="organization", nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("github_url", sa.String(length=500), nullable=True),
        sa.Column("website_url", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("is_verified", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("sponsorship_url", sa.String(length=500), nullable=True),
        sa.Column("has_sponsors_listing", sa.Boolean(), nullable=True),
        sa.Column("sponsoring_count", sa.Integer(), nullable=True),
        sa.Column("total_repositories", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_stars", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "owner_type IN ('organization', 'user')", name=op.f("ck_organizations_owner_type")
        ),
        sa.CheckConstraint(
            "total_repositories >= 0", name=op.f("ck_organizations_total_repositories")
        ),
        sa.CheckConstraint("total_stars >= 0", name=op.f("ck_organizations_total_stars")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_index(
        "uq_organizations_login_lower",
        "organizations",
        [sa.literal_column("lower(login)")],
        unique=True,
    )
    op.create_table(
        "packages",
        sa.Column("ecosystem", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("repository_url", sa.String(length=500), nullable=True),
        sa.Column("homepage_url", sa.String(length=500), nullable=True),
        sa.Column("latest_version", sa.String(length=100), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
        sa.UniqueConstraint("ecosystem", "name", name=op.f("uq_packages_ecosystem_name")),
    )
    op.create_table(
        "repositories",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=201), nullable=False),
        sa.Column("github_url", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("stars", sa.Integer(), server_default="0", nullable=False),
        sa.Column("primary_language", sa.String(length=100), nullable=True),
        sa.Column("default_branch", sa.String(length=255), nullable=True),
        sa.Column("is_fork", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("is_archived", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan_error", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("stars >= 0", name=op.f("ck_repositories_stars")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_repositories_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repositories")),
        sa.UniqueConstraint("github_url", name=op.f("uq_repositories_github_url")),
    )
    op.create_index(
        op.f("ix_repositories_organization_id"), "repositories", ["organization_id"], unique=False
    )
    op.create_index(
        "uq_repositories_full_name_lower",
        "repositories",
        [sa.literal_column("lower(full_name)")],
        unique=True,
    )
    op.create_table(
        "dependencies",
        sa.Column("repository_id", sa.UUID(), nullable=False),
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("manifest_path", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("requirement", sa.String(length=500), nullable=True),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column(
            "dependency_type", sa.String(length=20), server_default="runtime", nullable=False
        ),
        sa.Column("is_direct", sa.Boolean(), nullable=True),
        sa.Column("source", sa.String(length=50), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column(
            "detected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "dependency_type IN ('runtime', 'development', 'optional', 'peer', 'build', 'provided', 'managed', 'import', 'override', 'excluded', 'suggested', 'other')",
            name=op.f("ck_dependencies_dependency_type"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_dependencies_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_dependencies_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependencies")),
        sa.UniqueConstraint(
            "repository_id",
            "package_id",
            "manifest_path",
            name=op.f("uq_dependencies_repository_id_package_id_manifest_path"),
        ),
    )
    op.create_index(
        op.f("ix_dependencies_package_id"), "dependencies", ["package_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dependencies_package_id"), table_name="dependencies")
    op.drop_table("dependencies")
    op.drop_index("uq_repositories_full_name_lower", table_name="repositories")
    op.drop_index(op.f("ix_repositories_organization_id"), table_name="repositories")
    op.drop_table("repositories")
    op.drop_table("packages")
    op.drop_index("uq_organizations_login_lower", table_name="organizations")
    op.drop_table("organizations")
    op.drop_table("api_keys")
