"""Organizations (and users) that own repositories on GitHub."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IntegerPrimaryKey, Timestamps

if TYPE_CHECKING:
    from app.models.repository import Repository

OWNER_TYPES = ("organization", "user")


class Organization(IntegerPrimaryKey, Timestamps, Base):
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
    twitter_username: Mapped[str | None] = mapped_column(String(100))
    member_count: Mapped[int | None] = mapped_column(Integer)
    sponsorship_url: Mapped[str | None] = mapped_column(String(500))
    # Sponsorship signals from GitHub's GraphQL API, as of `sponsorship_checked_at` (None until
    # asked: unknown, which is not the same as "no").
    has_sponsors_listing: Mapped[bool | None] = mapped_column(Boolean)
    sponsoring_count: Mapped[int | None] = mapped_column(Integer)
    sponsorships_as_sponsor: Mapped[int | None] = mapped_column(Integer)
    sponsors_count: Mapped[int | None] = mapped_column(Integer)
    sponsorship_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # [{platform, url, source, evidence, observed_at}]: each link with where it was read, when.
    funding_links: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    # Why the owner's FUNDING.yml could not be read at the last enrichment (None: read or absent).
    funding_error: Mapped[str | None] = mapped_column(Text)
    total_repositories: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    total_stars: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    enriched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last completed crawl of the organization's repositories; None until one completes.
    crawled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    repositories: Mapped[list["Repository"]] = relationship(
        back_populates="organization", lazy="raise", passive_deletes=True
    )
