"""VACUUM (ANALYZE) for the revisions that rewrite large tables."""

from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op


def vacuum_analyze(tables: Iterable[str]) -> None:
    """VACUUM (ANALYZE) each of `tables` that holds rows, outside a transaction (VACUUM cannot
    run in one): the revision commits the ones before it, so a stop halfway leaves it to run
    again. An empty table, as every table of a new installation is, stays never vacuumed, so
    the planner estimates its size from its pages as they fill. Vacuumed empty, it would be
    taken for empty until autovacuum analyzed it again, and a new installation's first ingests
    were planned as if every table were: three times slower."""
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        for table in tables:
            if bind.scalar(sa.text(f"SELECT EXISTS (SELECT FROM {table})")):
                op.execute(f"VACUUM (ANALYZE) {table}")
