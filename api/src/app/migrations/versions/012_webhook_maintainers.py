"""Webhooks follow maintainers' portfolios: every package whose source repository an owner owns.

Revision ID: 012
Revises: 011
Create Date: 2026-11-30 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "012"
down_revision: str | None = "011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_maintainers",
        sa.Column("webhook_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_maintainers_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("webhook_id", "login", name=op.f("pk_webhook_maintainers")),
    )
    op.create_index("ix_webhook_maintainers_login", "webhook_maintainers", ["login"])


def downgrade() -> None:
    op.drop_table("webhook_maintainers")
