"""Sponsorship readiness on the package_usage rollup: the score and the rules met, with an index
per package in score order; existing rows are scored from their owners' signals.

Revision ID: 008
Revises: 007
Create Date: 2026-11-30 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "008"
down_revision: str | None = "007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rules of app.core.readiness as they were at this revision (a migration must not change
# when the code does).
_RULES = (
    "(CASE WHEN greatest(coalesce(o.sponsoring_count, 0),"
    " coalesce(o.sponsorships_as_sponsor, 0)) > 0 THEN 1 ELSE 0 END"
    " + CASE WHEN coalesce(o.has_sponsors_listing, false)"
    " OR jsonb_array_length(o.funding_links) > 0 THEN 2 ELSE 0 END"
    " + CASE WHEN u.repository_count >= 10 THEN 4 ELSE 0 END"
    " + CASE WHEN u.repository_count >= 3 AND u.repository_count < 10 THEN 8 ELSE 0 END"
    " + CASE WHEN coalesce(u.latest_push >= now() - interval '30 days', false) THEN 16 ELSE 0 END"
    " + CASE WHEN coalesce(u.latest_push < now() - interval '30 days'"
    " AND u.latest_push >= now() - interval '180 days', false) THEN 32 ELSE 0 END"
    " + CASE WHEN o.is_verified THEN 64 ELSE 0 END"
    " + CASE WHEN o.website_url IS NOT NULL OR o.email IS NOT NULL"
    " OR o.twitter_username IS NOT NULL THEN 128 ELSE 0 END)"
)
_POINTS = ((1, 40), (2, 10), (4, 20), (8, 10), (16, 15), (32, 8), (64, 10), (128, 5))


def upgrade() -> None:
    op.add_column(
        "package_usage",
        sa.Column("readiness", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "package_usage",
        sa.Column("readiness_rules", sa.SmallInteger(), server_default="0", nullable=False),
    )
    score = " + ".join(
        f"CASE WHEN s.rules & {bit} <> 0 THEN {points} ELSE 0 END" for bit, points in _POINTS
    )
    op.execute(
        "UPDATE package_usage u SET readiness_rules = s.rules, readiness = " + score + " FROM"
        f" (SELECT u.package_id, u.organization_id, {_RULES} AS rules FROM package_usage u"
        "  JOIN organizations o ON o.id = u.organization_id) s"
        " WHERE u.package_id = s.package_id AND u.organization_id = s.organization_id"
        " AND s.rules <> 0"
    )
    op.create_index(
        "ix_package_usage_readiness",
        "package_usage",
        ["package_id", sa.text("readiness DESC"), sa.text("organization_id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_package_usage_readiness", table_name="package_usage")
    op.drop_column("package_usage", "readiness_rules")
    op.drop_column("package_usage", "readiness")
