"""Repositories' primary languages stored once, in `languages`, and named by a 4-byte id in each
`package_dependents` row and its indexes instead of the name itself: the filter index keyed
the lowered name and included the name again, the via index included it. The id takes the
place of the name's 8 bytes in the heap and of 16 in the filter index. Triggers on
`repositories` add every language a written repository names, so any writer keeps the
dictionary whole. `package_dependents` is copied into a new table in its pair index's order;
its key, indexes, statistics and grants are made again, and whoever could read it may read
`languages`. 046 vacuums it.

Revision ID: 045
Revises: 044
Create Date: 2026-12-01 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "045"
down_revision: str | None = "044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The flag bits at this revision (app.models.package_usage).
_FILTER_INDEXED = 1 << 21
_FLAGS = (1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20, _FILTER_INDEXED)
# The privileges granted on package_dependents to roles other than its owner (PUBLIC as
# grantee 0).
_GRANTS = (
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,"
    " a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
    " LEFT JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE c.oid = CAST('package_dependents' AS regclass) AND a.grantee <> c.relowner"
)
_FIRST = (
    "pushed_at timestamp with time zone, package_id integer NOT NULL,"
    " repository_id integer NOT NULL, organization_id integer NOT NULL, stars integer NOT NULL,"
    " flags integer NOT NULL"
)
_WITH_IDS = f"{_FIRST}, language_id integer, via text"
_WITH_NAMES = f"{_FIRST}, primary_language varchar(100), via text"
_COMMON = "pd.pushed_at, pd.package_id, pd.repository_id, pd.organization_id, pd.stars, pd.flags"
_STATISTICS = (
    "CREATE STATISTICS st_package_dependents_flags ON "
    + ", ".join(f"((flags & {bit}))" for bit in _FLAGS)
    + " FROM package_dependents"
)
_UNINDEXED = (
    "CREATE INDEX ix_package_dependents_unindexed ON package_dependents"
    f" ((CASE WHEN (flags & {_FILTER_INDEXED}) <> 0 THEN NULL ELSE package_id END))"
)
_WITH_IDS_INDEXES = (
    _UNINDEXED,
    "CREATE INDEX ix_package_dependents_filter ON package_dependents"
    " (package_id, language_id, stars) INCLUDE (organization_id, pushed_at, flags)"
    f" WHERE (flags & {_FILTER_INDEXED}) <> 0",
    "CREATE INDEX ix_package_dependents_via ON package_dependents (package_id, organization_id)"
    " INCLUDE (stars, flags, language_id, via) WHERE via IS NOT NULL",
    _STATISTICS,
)
_WITH_NAMES_INDEXES = (
    _UNINDEXED,
    "CREATE INDEX ix_package_dependents_filter ON package_dependents"
    " (package_id, lower(primary_language), stars)"
    " INCLUDE (organization_id, pushed_at, flags, primary_language)"
    f" WHERE (flags & {_FILTER_INDEXED}) <> 0",
    "CREATE INDEX ix_package_dependents_via ON package_dependents (package_id, organization_id)"
    " INCLUDE (stars, flags, via, primary_language) WHERE via IS NOT NULL",
    _STATISTICS,
)
# The languages a statement's written repositories name that the dictionary lacks, in name
# order (so two writers adding the same two wait on each other in one order), as the table's
# owner: a role that may write repositories need not be granted the dictionary.
_ADD_LANGUAGES = """
CREATE FUNCTION languages_from_repositories() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO languages (name)
    SELECT DISTINCT w.primary_language FROM written_repositories w
    WHERE w.primary_language IS NOT NULL
      AND NOT EXISTS (SELECT FROM languages l WHERE l.name = w.primary_language)
    ORDER BY 1
    ON CONFLICT (name) DO NOTHING;
    RETURN NULL;
END
$$
"""
# Transition tables allow one event per trigger.
_TRIGGERS = tuple(
    f"CREATE TRIGGER repositories_languages_{event.lower()} AFTER {event} ON repositories"
    " REFERENCING NEW TABLE AS written_repositories FOR EACH STATEMENT"
    " EXECUTE FUNCTION languages_from_repositories()"
    for event in ("INSERT", "UPDATE")
)


def _rewrite(columns: str, select: str, indexes: Sequence[str]) -> None:
    """Copy package_dependents into a new table of `columns` (each row `select`ed from the
    old one, `pd`, joined to its language `l`), in its pair index's order, then build its key
    and indexes and grant again what was granted on it."""
    grants = op.get_bind().execute(sa.text(_GRANTS)).all()
    op.execute(f"CREATE TABLE package_dependents_languages ({columns})")
    op.execute(
        f"INSERT INTO package_dependents_languages {select}"
        " ORDER BY pd.package_id, pd.organization_id, pd.stars DESC, pd.repository_id"
    )
    op.execute("DROP TABLE package_dependents")
    op.execute("ALTER TABLE package_dependents_languages RENAME TO package_dependents")
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
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute("SET LOCAL work_mem = '256MB'")
    op.execute(
        "CREATE TABLE languages (id integer GENERATED BY DEFAULT AS IDENTITY,"
        " name varchar(100) NOT NULL, CONSTRAINT pk_languages PRIMARY KEY (id),"
        " CONSTRAINT uq_languages_name UNIQUE (name))"
    )
    op.execute(
        "INSERT INTO languages (name) SELECT primary_language FROM repositories"
        " WHERE primary_language IS NOT NULL"
        " UNION SELECT primary_language FROM package_dependents"
        " WHERE primary_language IS NOT NULL ORDER BY 1"
    )
    op.execute(_ADD_LANGUAGES)
    for trigger in _TRIGGERS:
        op.execute(trigger)
    _rewrite(
        _WITH_IDS,
        f"SELECT {_COMMON}, l.id, pd.via FROM package_dependents pd"
        " LEFT JOIN languages l ON l.name = pd.primary_language",
        _WITH_IDS_INDEXES,
    )
    for grantee, privilege in op.get_bind().execute(sa.text(_GRANTS)).all():
        if privilege == "SELECT":
            op.execute(f"GRANT SELECT ON languages TO {grantee}")


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute("SET LOCAL work_mem = '256MB'")
    _rewrite(
        _WITH_NAMES,
        f"SELECT {_COMMON}, l.name, pd.via FROM package_dependents pd"
        " LEFT JOIN languages l ON l.id = pd.language_id",
        _WITH_NAMES_INDEXES,
    )
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER repositories_languages_{event} ON repositories")
    op.execute("DROP FUNCTION languages_from_repositories()")
    op.execute("DROP TABLE languages")
