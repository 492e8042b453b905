"""The rollups' `via` as one text, each direct dependency's name and repository count
space-separated ("vite 3 webpack 1"), instead of a names array and a counts array: two arrays
cost two 21-byte headers and a padded word per element, most rows with a via name one or two.
`package_usage` and `package_kind_usage` are copied into new tables without `via_counts`
(a dropped column would stay in every row's null bitmap); their indexes, keys and grants are
put back as they were. 049 vacuums them.

Revision ID: 048
Revises: 047
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "048"
down_revision: str | None = "047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIGURES = (
    "latest_push timestamp with time zone, package_id integer NOT NULL,"
    " organization_id integer NOT NULL, repository_count integer NOT NULL,"
    " total_stars integer NOT NULL"
)
_USAGE = (
    f"{_FIGURES}, transitive_repository_count integer NOT NULL DEFAULT 0,"
    " kinds smallint NOT NULL, readiness smallint NOT NULL DEFAULT 0,"
    " readiness_rules smallint NOT NULL DEFAULT 0, owner_is_user boolean NOT NULL,"
    " has_direct_use boolean NOT NULL DEFAULT true, sort_indexed boolean NOT NULL DEFAULT false,"
    ' login_key varchar(100) COLLATE "C" NOT NULL, languages text NOT NULL'
)
_KIND_USAGE = (
    f"{_FIGURES}, transitive_repository_count integer NOT NULL, kind smallint NOT NULL,"
    " kinds smallint NOT NULL, languages text NOT NULL"
)
_TABLES = {
    "package_usage": (
        _USAGE,
        "latest_push, package_id, organization_id, repository_count, total_stars,"
        " transitive_repository_count, kinds, readiness, readiness_rules, owner_is_user,"
        " has_direct_use, sort_indexed, login_key, languages",
        "package_id, organization_id",
    ),
    "package_kind_usage": (
        _KIND_USAGE,
        "latest_push, package_id, organization_id, repository_count, total_stars,"
        " transitive_repository_count, kind, kinds, languages",
        "package_id, organization_id, kind",
    ),
}
_TO_TEXT = (
    "(SELECT string_agg(u.name || ' ' || u.c, ' ' ORDER BY u.o)"
    " FROM unnest(t.via, t.via_counts) WITH ORDINALITY AS u(name, c, o))"
)
_PARTS = "unnest(string_to_array(t.via, ' ')) WITH ORDINALITY AS u(part, o)"
_TO_ARRAYS = (
    f"(SELECT CAST(array_agg(u.part ORDER BY u.o) AS varchar(500)[]) FROM {_PARTS}"
    " WHERE u.o % 2 = 1),"
    f" (SELECT array_agg(CAST(u.part AS integer) ORDER BY u.o) FROM {_PARTS} WHERE u.o % 2 = 0)"
)
# The privileges granted on a table to roles other than its owner (PUBLIC as grantee 0).
_GRANTS = (
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,"
    " a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
    " LEFT JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE c.oid = CAST(:table AS regclass) AND a.grantee <> c.relowner"
)


def _rewrite(table: str, via_columns: str, via_values: str) -> None:
    """Copy `table` into a new table with `via_columns` last, filled from the old row `t` by
    `via_values`, in key order, then put its indexes, key and grants back as they were."""
    columns, names, order = _TABLES[table]
    bind = op.get_bind()
    grants = bind.execute(sa.text(_GRANTS), {"table": table}).all()
    indexes = bind.execute(
        sa.text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisprimary"
            " FROM pg_index i WHERE i.indrelid = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).all()
    new = f"{table}_via"
    via_names = ", ".join(column.split()[0] for column in via_columns.split(", "))
    op.execute(f"CREATE TABLE {new} ({columns}, {via_columns})")
    op.execute(
        f"INSERT INTO {new} ({names}, {via_names})"
        f" SELECT {names}, {via_values} FROM {table} t ORDER BY {order}"
    )
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
    for table in _TABLES:
        _rewrite(table, "via text", _TO_TEXT)


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for table in _TABLES:
        _rewrite(table, "via varchar(500)[], via_counts integer[]", _TO_ARRAYS)
