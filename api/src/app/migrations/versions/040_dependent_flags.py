"""`package_dependents` with its kinds mask and six yes/no attributes packed into one integer,
`flags`: 8 columns instead of 14, so a row with a NULL (most rows: `via` is set only for
transitive use) has a 24-byte header instead of 32, and the data is 4 bytes narrower. The
covering filter index and the via index include `flags` instead of the seven columns, fixed-width
columns first. Statistics on each flag's expression let the planner estimate a condition on it
as it did the boolean column's. What was granted on the table is granted again; 041 vacuums it.

Revision ID: 040
Revises: 039
Create Date: 2026-12-01 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "040"
down_revision: str | None = "039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The bits at this revision (app.models.package_usage): the kinds mask below bit 12.
_KINDS = 4095
_FLAGS = {
    "owner_is_user": 1 << 16,
    "is_fork": 1 << 17,
    "is_archived": 1 << 18,
    "is_noise": 1 << 19,
    "is_direct": 1 << 20,
    "filter_indexed": 1 << 21,
}
_FILTER_INDEXED = _FLAGS["filter_indexed"]
# The privileges granted on the table to roles other than its owner (PUBLIC as grantee 0).
_GRANTS = (
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,"
    " a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
    " LEFT JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE c.oid = CAST('package_dependents' AS regclass) AND a.grantee <> c.relowner"
)
_PACKED = (
    "pushed_at timestamp with time zone, package_id integer NOT NULL,"
    " repository_id integer NOT NULL, organization_id integer NOT NULL, stars integer NOT NULL,"
    " flags integer NOT NULL, primary_language varchar(100), via text"
)
_UNPACKED = (
    "pushed_at timestamp with time zone, package_id integer NOT NULL,"
    " repository_id integer NOT NULL, organization_id integer NOT NULL, stars integer NOT NULL,"
    " kinds smallint NOT NULL, owner_is_user boolean NOT NULL, is_fork boolean NOT NULL,"
    " is_archived boolean NOT NULL, is_noise boolean NOT NULL DEFAULT false,"
    " is_direct boolean NOT NULL DEFAULT true, filter_indexed boolean NOT NULL DEFAULT false,"
    " primary_language varchar(100), via text"
)
_PACKED_INDEXES = (
    f"CREATE INDEX ix_package_dependents_unindexed ON package_dependents"
    f" ((CASE WHEN (flags & {_FILTER_INDEXED}) <> 0 THEN NULL ELSE package_id END))",
    "CREATE INDEX ix_package_dependents_filter ON package_dependents"
    " (package_id, lower(primary_language), stars)"
    " INCLUDE (organization_id, pushed_at, flags, primary_language)"
    f" WHERE (flags & {_FILTER_INDEXED}) <> 0",
    "CREATE INDEX ix_package_dependents_via ON package_dependents (package_id, organization_id)"
    " INCLUDE (stars, flags, via, primary_language) WHERE via IS NOT NULL",
    "CREATE STATISTICS st_package_dependents_flags ON "
    + ", ".join(f"((flags & {bit}))" for bit in _FLAGS.values())
    + " FROM package_dependents",
)
_UNPACKED_INDEXES = (
    "CREATE INDEX ix_package_dependents_unindexed ON package_dependents"
    " ((CASE WHEN filter_indexed THEN NULL ELSE package_id END))",
    "CREATE INDEX ix_package_dependents_filter ON package_dependents"
    " (package_id, lower(primary_language), stars)"
    " INCLUDE (primary_language, organization_id, pushed_at, kinds, is_fork, is_archived,"
    " owner_is_user, is_noise, is_direct) WHERE filter_indexed",
    "CREATE INDEX ix_package_dependents_via ON package_dependents (package_id, organization_id)"
    " INCLUDE (via, kinds, stars, primary_language, is_fork, is_archived, is_noise)"
    " WHERE via IS NOT NULL",
)
_COMMON = "pushed_at, package_id, repository_id, organization_id, stars"
_PACK = (
    f"{_COMMON}, kinds"
    + "".join(f" | CASE WHEN {name} THEN {bit} ELSE 0 END" for name, bit in _FLAGS.items())
    + ", primary_language, via"
)
_UNPACK = (
    f"{_COMMON}, flags & {_KINDS}, "
    + ", ".join(f"(flags & {bit}) <> 0" for bit in _FLAGS.values())
    + ", primary_language, via"
)


def _rewrite(columns: str, select: str, indexes: Sequence[str]) -> None:
    """Copy package_dependents into a new table of `columns` (each row `select`ed from the
    old), in its pair index's order, then build its key and indexes and grant again what was
    granted on it (a read-only role's SELECT, say)."""
    bind = op.get_bind()
    grants = bind.execute(sa.text(_GRANTS)).all()
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(f"CREATE TABLE package_dependents_packed ({columns})")
    op.execute(
        f"INSERT INTO package_dependents_packed SELECT {select} FROM package_dependents"
        " ORDER BY package_id, organization_id, stars DESC, repository_id"
    )
    op.execute("DROP TABLE package_dependents")
    op.execute("ALTER TABLE package_dependents_packed RENAME TO package_dependents")
    op.execute(
        "ALTER TABLE package_dependents ADD CONSTRAINT pk_package_dependents"
        " PRIMARY KEY (repository_id, package_id)"
    )
    op.execute(
        "CREATE INDEX ix_package_dependents_pair ON package_dependents"
        " (package_id, organization_id, stars DESC)"
    )
    for statement in indexes:
        op.execute(statement)
    for grantee, privilege in grants:
        op.execute(f"GRANT {privilege} ON package_dependents TO {grantee}")


def upgrade() -> None:
    _rewrite(_PACKED, _PACK, _PACKED_INDEXES)


def downgrade() -> None:
    _rewrite(_UNPACKED, _UNPACK, _UNPACKED_INDEXES)
