"""The rollups' top languages are one text joined by the ASCII unit separator instead of a
varchar array: an array of three short names costs a 24-byte header and 4 bytes per element,
about 33 bytes per row on the full dataset. One rewrite per table.

Revision ID: 026
Revises: 025
Create Date: 2026-11-30 21:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "026"
down_revision: str | None = "025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("package_usage", "package_kind_usage")
# app.repositories.package_usage.LANGUAGE_SEPARATOR at this revision.
_SEPARATOR = "E'\\x1f'"


def upgrade() -> None:
    for table in _TABLES:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN languages TYPE text"
            f" USING array_to_string(languages, {_SEPARATOR})"
        )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN languages TYPE varchar(100)[]"
            f" USING CAST(string_to_array(languages, {_SEPARATOR}) AS varchar(100)[])"
        )
