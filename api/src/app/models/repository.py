"""Repositories whose manifests wump reads."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IntegerPrimaryKey, Timestamps

if TYPE_CHECKING:
    from app.models.dependency import Dependency
    from app.models.organization import Organization


class Language(IntegerPrimaryKey, Base):
    """A primary language that repositories name, stored once: `package_dependents` rows and
    their indexes name it by a 4-byte id (migration 045). Triggers on `repositories` add each
    language a written repository names (`languages_from_repositories`, as the table's owner),
    so every writer keeps the dictionary whole; languages are never deleted. Names are kept as
    spelled: `lower(name)` groups the spellings a language filter matches."""

    __tablename__ = "languages"
    __table_args__ = (UniqueConstraint("name"),)

    name: Mapped[str] = mapped_column(String(100), nullable=False)


class Repository(IntegerPrimaryKey, Timestamps, Base):
    __tablename__ = "repositories"
    __table_args__ = (
        CheckConstraint("stars >= 0", name="stars"),
        # The repository's key, as GitHub treats names (case-insensitively). Its URL follows
        # from the name, so it is not indexed (migration 039).
        Index("uq_repositories_full_name_lower", text("lower(full_name)"), unique=True),
        # An organization's repositories, most starred first; its leading column serves the
        # lookups by organization and the foreign key's cascade too.
        Index(
            "ix_repositories_organization_ranked",
            "organization_id",
            text("stars DESC"),
            text("id DESC"),
        ),
    )

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    full_name: Mapped[str] = mapped_column(String(201), nullable=False)
    github_url: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    stars: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    primary_language: Mapped[str | None] = mapped_column(String(100))
    default_branch: Mapped[str | None] = mapped_column(String(255))
    is_fork: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    is_archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_error: Mapped[str | None] = mapped_column(Text)

    organization: Mapped["Organization"] = relationship(back_populates="repositories", lazy="raise")
    dependencies: Mapped[list["Dependency"]] = relationship(
        back_populates="repository", lazy="raise", passive_deletes=True
    )
