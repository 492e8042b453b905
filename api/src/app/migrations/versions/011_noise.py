"""Repositories recognisable as noise (bot-owned, awesome-lists) are marked on the read side and
left out of the default view; the covering filter index includes the mark.

Revision ID: 011
Revises: 010
Create Date: 2026-11-30 02:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "011"
down_revision: str | None = "010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INCLUDE = [
    "primary_language",
    "organization_id",
    "pushed_at",
    "kinds",
    "is_fork",
    "is_archived",
    "owner_type",
]
# The rule as it was at this revision (app.models.package_usage.NOISE_SQL).
_NOISE = (
    r"(o.login ~* '(^bot|[-_]bot|\[bot\])$'"
    r" OR r.name ~* '(^awesome($|[-_.])|[-_.]awesome$)')"
)


def _filter_index(include: list[str]) -> None:
    op.create_index(
        "ix_package_dependents_filter",
        "package_dependents",
        ["package_id", sa.literal_column("lower(primary_language)"), "stars"],
        postgresql_include=include,
    )


def upgrade() -> None:
    op.add_column(
        "package_dependents",
        sa.Column("is_noise", sa.Boolean(), server_default="false", nullable=False),
    )
    op.execute(
        "UPDATE package_dependents pd SET is_noise = true FROM repositories r"
        " JOIN organizations o ON o.id = r.organization_id"
        f" WHERE r.id = pd.repository_id AND {_NOISE}"
    )
    # Organizations whose every default-view use was noise (bot owners) leave the rollup now,
    # and their packages' counts follow; an organization that also has real uses keeps its
    # row until the next refresh of those repositories recounts it.
    op.execute(
        "CREATE TEMPORARY TABLE noise_pairs ON COMMIT DROP AS"
        " SELECT u.package_id, u.organization_id FROM package_usage u"
        " WHERE NOT EXISTS (SELECT 1 FROM package_dependents pd"
        "  WHERE pd.package_id = u.package_id AND pd.organization_id = u.organization_id"
        "  AND NOT pd.is_fork AND NOT pd.is_archived AND NOT pd.is_noise)"
    )
    op.execute(
        "DELETE FROM package_usage u USING noise_pairs n"
        " WHERE u.package_id = n.package_id AND u.organization_id = n.organization_id"
    )
    op.execute(
        "UPDATE packages p SET organization_count = c.organizations,"
        " repository_count = c.repositories"
        " FROM (SELECT p2.id, count(u.package_id) AS organizations,"
        "   coalesce(sum(u.repository_count), 0) AS repositories"
        "  FROM packages p2 LEFT JOIN package_usage u ON u.package_id = p2.id"
        "  WHERE p2.id IN (SELECT package_id FROM noise_pairs) GROUP BY p2.id) c"
        " WHERE p.id = c.id"
    )
    op.drop_index("ix_package_dependents_filter", table_name="package_dependents")
    _filter_index([*_INCLUDE, "is_noise"])


def downgrade() -> None:
    op.drop_index("ix_package_dependents_filter", table_name="package_dependents")
    _filter_index(_INCLUDE)
    op.drop_column("package_dependents", "is_noise")
