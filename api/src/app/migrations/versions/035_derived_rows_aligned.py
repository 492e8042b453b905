"""The derived tables rewritten with their columns in alignment order (8-byte, then 4-, 2- and
1-byte, the variable-length last), so PostgreSQL pads nothing between them, and the rollups'
`total_stars` as an integer, as `organizations.total_stars` (of which it counts a part) is.
Indexes and keys are rebuilt from their definitions, and what was granted on the tables is
granted again; 036 vacuums the new tables.

Revision ID: 035
Revises: 034
Create Date: 2026-12-01 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "035"
down_revision: str | None = "034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEPENDENTS = {
    "package_id": "integer NOT NULL",
    "repository_id": "integer NOT NULL",
    "organization_id": "integer NOT NULL",
    "owner_is_user": "boolean NOT NULL",
    "stars": "integer NOT NULL",
    "primary_language": "varchar(100)",
    "pushed_at": "timestamp with time zone",
    "is_fork": "boolean NOT NULL",
    "is_archived": "boolean NOT NULL",
    "kinds": "smallint NOT NULL",
    "is_noise": "boolean NOT NULL DEFAULT false",
    "is_direct": "boolean NOT NULL DEFAULT true",
    "via": "text",
    "filter_indexed": "boolean NOT NULL DEFAULT false",
}
_DEPENDENTS_ALIGNED = (
    "pushed_at",
    "package_id",
    "repository_id",
    "organization_id",
    "stars",
    "kinds",
    "owner_is_user",
    "is_fork",
    "is_archived",
    "is_noise",
    "is_direct",
    "filter_indexed",
    "primary_language",
    "via",
)
_USAGE = {
    "package_id": "integer NOT NULL",
    "organization_id": "integer NOT NULL",
    "login_key": 'varchar(100) COLLATE "C" NOT NULL',
    "owner_is_user": "boolean NOT NULL",
    "repository_count": "integer NOT NULL",
    "total_stars": "bigint NOT NULL",
    "latest_push": "timestamp with time zone",
    "languages": "text NOT NULL",
    "kinds": "smallint NOT NULL",
    "readiness": "smallint NOT NULL DEFAULT 0",
    "readiness_rules": "smallint NOT NULL DEFAULT 0",
    "has_direct_use": "boolean NOT NULL DEFAULT true",
    "transitive_repository_count": "integer NOT NULL DEFAULT 0",
    "via": "varchar(500)[]",
    "via_counts": "integer[]",
    "sort_indexed": "boolean NOT NULL DEFAULT false",
}
_USAGE_ALIGNED = (
    "latest_push",
    "package_id",
    "organization_id",
    "repository_count",
    "total_stars",
    "transitive_repository_count",
    "kinds",
    "readiness",
    "readiness_rules",
    "owner_is_user",
    "has_direct_use",
    "sort_indexed",
    "login_key",
    "languages",
    "via",
    "via_counts",
)
_KIND_USAGE = {
    "package_id": "integer NOT NULL",
    "organization_id": "integer NOT NULL",
    "total_stars": "bigint NOT NULL",
    "latest_push": "timestamp with time zone",
    "repository_count": "integer NOT NULL",
    "transitive_repository_count": "integer NOT NULL",
    "kind": "smallint NOT NULL",
    "kinds": "smallint NOT NULL",
    "languages": "text NOT NULL",
    "via": "varchar(500)[]",
    "via_counts": "integer[]",
}
_KIND_USAGE_ALIGNED = (
    "latest_push",
    "package_id",
    "organization_id",
    "repository_count",
    "total_stars",
    "transitive_repository_count",
    "kind",
    "kinds",
    "languages",
    "via",
    "via_counts",
)
# Rows written in the order their reads take them: the dependents' pair index (033), the
# rollups' keys.
_ORDER = {
    "package_dependents": "package_id, organization_id, stars DESC, repository_id",
    "package_usage": "package_id, organization_id",
    "package_kind_usage": "package_id, organization_id, kind",
}
_STARS_AS_INTEGER = {"total_stars": "integer NOT NULL"}


# The privileges granted on a table to roles other than its owner (PUBLIC as grantee 0).
_GRANTS = (
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,"
    " a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
    " LEFT JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE c.oid = CAST(:table AS regclass) AND a.grantee <> c.relowner"
)


def _rewrite(table: str, columns: dict[str, str], order: Sequence[str]) -> None:
    """Copy `table` into a new table with `columns` in `order`, then put its indexes, key and
    grants (a read-only role's, say) back as they were."""
    bind = op.get_bind()
    grants = bind.execute(sa.text(_GRANTS), {"table": table}).all()
    indexes = bind.execute(
        sa.text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisprimary"
            " FROM pg_index i WHERE i.indrelid = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).all()
    new = f"{table}_aligned"
    names = ", ".join(order)
    op.execute(f"CREATE TABLE {new} ({', '.join(f'{c} {columns[c]}' for c in order)})")
    op.execute(f"INSERT INTO {new} ({names}) SELECT {names} FROM {table} ORDER BY {_ORDER[table]}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    for name, definition, primary in indexes:
        op.execute(definition)
        if primary:
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name}")
    for grantee, privilege in grants:
        op.execute(f"GRANT {privilege} ON {table} TO {grantee}")


def upgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    _rewrite("package_dependents", _DEPENDENTS, _DEPENDENTS_ALIGNED)
    _rewrite("package_usage", {**_USAGE, **_STARS_AS_INTEGER}, _USAGE_ALIGNED)
    _rewrite("package_kind_usage", {**_KIND_USAGE, **_STARS_AS_INTEGER}, _KIND_USAGE_ALIGNED)


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    _rewrite("package_dependents", _DEPENDENTS, tuple(_DEPENDENTS))
    _rewrite("package_usage", _USAGE, tuple(_USAGE))
    _rewrite("package_kind_usage", _KIND_USAGE, tuple(_KIND_USAGE))
