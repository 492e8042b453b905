"""Usage events: who started, stopped or changed using a package, written by the ingest that
caused them.

Revision ID: 006
Revises: 005
Create Date: 2026-11-30 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "006"
down_revision: str | None = "005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("package_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(length=10), nullable=False),
        sa.Column("is_initial", sa.Boolean(), nullable=False),
        sa.Column("repositories_before", sa.Integer(), nullable=False),
        sa.Column("repositories_after", sa.Integer(), nullable=False),
        sa.Column("kinds_before", sa.Integer(), nullable=False),
        sa.Column("kinds_after", sa.Integer(), nullable=False),
        sa.Column(
            "repositories",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            server_default=sa.text("uuidv7()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "event_type IN ('started', 'stopped', 'changed')",
            name=op.f("ck_usage_events_event_type"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_usage_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_usage_events_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    op.create_index("ix_usage_events_package", "usage_events", ["package_id", sa.text("id DESC")])
    op.create_index(
        "ix_usage_events_organization", "usage_events", ["organization_id", sa.text("id DESC")]
    )
    op.create_index("ix_usage_events_occurred_at", "usage_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("usage_events")
