"""Declarative base: naming convention, integer and UUID keys and timestamps shared by every
table."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Identity, Integer, MetaData, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    # uuidv7 (PostgreSQL 18) keeps new keys in index order, unlike random v4 keys.
    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("uuidv7()")
    )


class IntegerPrimaryKey:
    # The keys that the large tables repeat in every row and index (organizations, packages,
    # repositories): 4 bytes instead of a uuid's 16. They never leave the service, except
    # inside page cursors.
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


QUEUE_TABLE_PREFIX = "procrastinate_"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's filter: the job queue's tables belong to procrastinate, not to these models."""
    return not (type_ == "table" and name is not None and name.startswith(QUEUE_TABLE_PREFIX))
