"""Funding signals per owner: contact fields, sponsorships it pays, and funding links that keep
their evidence (source, what was read, when).

Revision ID: 007
Revises: 006
Create Date: 2026-11-30 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "007"
down_revision: str | None = "006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    sa.Column("twitter_username", sa.String(length=100), nullable=True),
    sa.Column("member_count", sa.Integer(), nullable=True),
    sa.Column("sponsorships_as_sponsor", sa.Integer(), nullable=True),
    sa.Column("sponsors_count", sa.Integer(), nullable=True),
    sa.Column("sponsorship_checked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column(
        "funding_links",
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'[]'::jsonb"),
        nullable=False,
    ),
    sa.Column("funding_error", sa.Text(), nullable=True),
)


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("organizations", column)


def downgrade() -> None:
    for column in reversed(_COLUMNS):
        op.drop_column("organizations", column.name)
