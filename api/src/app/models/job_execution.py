"""What a background job was asked to do and how far it got: the progress the API shows."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPrimaryKey

JOB_STATUSES = ("pending", "running", "completed", "failed")
ACTIVE_STATUSES = ("pending", "running")
# The unique index's predicate, as SQL literals: ON CONFLICT must repeat it without bound
# parameters, or PostgreSQL cannot infer the index once it plans the statement generically.
ACTIVE_STATUS_PREDICATE = f"status IN {ACTIVE_STATUSES!r}"


class JobExecution(UUIDPrimaryKey, Timestamps, Base):
    """One requested job (all of its attempts); the queue itself lives in procrastinate's tables."""

    __tablename__ = "job_executions"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES!r}", name="status"),
        CheckConstraint("records_processed >= 0", name="records_processed"),
        # At most one pending or running job per (type, subject): a second request joins it.
        Index(
            "uq_job_executions_active_subject",
            "job_type",
            "subject",
            unique=True,
            postgresql_where=text(ACTIVE_STATUS_PREDICATE),
        ),
        Index("ix_job_executions_status_created", "status", text("id DESC")),
        Index("ix_job_executions_created", text("id DESC")),
    )

    job_type: Mapped[str] = mapped_column(String(50), nullable=False)
    # The normalized thing the job works on: an organization login, "ecosystem/name", "owner/repo".
    subject: Mapped[str] = mapped_column(String(600), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    records_processed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    error_message: Mapped[str | None] = mapped_column(Text)
    # "metadata" is reserved on declarative classes; the column keeps the name the API shows.
    details: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
