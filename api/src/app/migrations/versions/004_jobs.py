"""Durable jobs: procrastinate's queue schema and job_executions.

Revision ID: 004
Revises: 003
Create Date: 2026-11-26 23:50:00.000000

The queue tables, functions and triggers are procrastinate's own schema, as shipped by the
installed version (3.10). A later procrastinate release with schema changes needs a migration
that applies its migration files newer than that version.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql
from sqlalchemy.util import await_only

revision: str = "004"
down_revision: str | None = "003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Drops every object procrastinate's schema creates; all of them carry its prefix.
_DROP_QUEUE_SCHEMA = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT tablename FROM pg_tables
                WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
    END LOOP;
    FOR item IN SELECT t.typname FROM pg_type t
                JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
                  AND t.typtype IN ('e', 'c')
    LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
    END LOOP;
END
$$;
"""


def _execute_script(sql: str) -> None:
    """Run a multi-statement script; prepared statements (SQLAlchemy's path) take one each."""
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None
    await_only(driver_connection.execute(sql))


def upgrade() -> None:
    _execute_script(SchemaManager.get_schema())
    op.create_table(
        "job_executions",
        sa.Column("job_type", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=600), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queue_job_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records_processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("uuidv7()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed')",
            name=op.f("ck_job_executions_status"),
        ),
        sa.CheckConstraint(
            "records_processed >= 0", name=op.f("ck_job_executions_records_processed")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_executions")),
    )
    op.create_index(
        "uq_job_executions_active_subject",
        "job_executions",
        ["job_type", "subject"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )
    op.create_index(
        "ix_job_executions_status_created",
        "job_executions",
        ["status", sa.text("id DESC")],
    )
    op.create_index("ix_job_executions_created", "job_executions", [sa.text("id DESC")])


def downgrade() -> None:
    op.drop_index("ix_job_executions_created", table_name="job_executions")
    op.drop_index("ix_job_executions_status_created", table_name="job_executions")
    op.drop_index("uq_job_executions_active_subject", table_name="job_executions")
    op.drop_table("job_executions")
    _execute_script(_DROP_QUEUE_SCHEMA)
