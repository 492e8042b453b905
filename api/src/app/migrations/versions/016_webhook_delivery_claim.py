"""A webhook delivery records until when its attempt in flight holds it, so two jobs for one
delivery never send it at the same time.

Revision ID: 016
Revises: 015
Create Date: 2026-11-30 03:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "016"
down_revision: str | None = "015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "webhook_deliveries",
        sa.Column("sending_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("webhook_deliveries", "sending_until")
