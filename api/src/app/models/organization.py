"""Organizations (and users) that own repositories on GitHub."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamps, UUIDPrimaryKey

if TYPE_CHECKING:
    from app.models.repository import Repository

OWNER_TYPES = ("organization", "user")


class Organization(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(f"owner_type IN {OWNER_TYPES!r}", name="owner_type"),
        CheckConstraint("total_repositories >= 0", name="total_repositories"),
        CheckConstraint("total_stars >= 0", name="total_stars"),
        # GitHub logins are case-insensitive: one row per login whatever its spelling.
        Index("uq_organizations_login_lower", text("lower(login)"), unique=True),
        Index("ix_organizations_ranked", text("total_stars DESC"), text("id DESC")),
        Index(
            "ix_organizations_login_trgm",
            "login",
            postgresql_using="gin",
            postgresql_ops={"login": "gin_trgm_ops"},
        ),
        Index(
            "ix_organizations_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        # The refresh of stale organizations reads the oldest crawls first.
        Index(
            "ix_organizations_crawled_at",
            "crawled_at",
            postgresql_where=text("crawled_at IS NOT NULL"),
        ),
    )

    login: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_type: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default="organization"
    )
    name: Mapped[str | None] = mapped_column(String(255))
    github_url: Mapped[str | None] = mapped_column(String(500))
    website_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    location: Mapped[str | None] = mapped_column(String(255))
    is_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    sponsorship_url: Mapped[str | None] = mapped_column(String(500))
    has_sponsors_listing: Mapped[bool | None] = mapped_column(Boolean)
    sponsoring_count: Mapped[int | None] = mapped_column(Integer)
    total_repositories: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    total_stars: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    enriched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last completed crawl of the organization's repositories; None until one completes.
    crawled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    repositories: Mapped[list["Repository"]] = relationship(
        back_populates="organization", lazy="raise", passive_deletes=True
    )
