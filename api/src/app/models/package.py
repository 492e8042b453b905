"""Packages of every supported ecosystem, keyed by (ecosystem, normalized name)."""

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IntegerPrimaryKey, Timestamps


class Package(IntegerPrimaryKey, Timestamps, Base):
    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("ecosystem", "name"),
        Index("ix_packages_ranked", text("organization_count DESC"), text("id DESC")),
        Index(
            "ix_packages_ecosystem_ranked",
            "ecosystem",
            text("organization_count DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_packages_source_owner",
            "source_owner",
            postgresql_where=text("source_owner IS NOT NULL"),
        ),
        # Trigrams make prefix and substring search an index lookup.
        Index(
            "ix_packages_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    ecosystem: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    repository_url: Mapped[str | None] = mapped_column(String(500))
    # lower(login) of the GitHub owner of `repository_url`: whose portfolio the package is in.
    source_owner: Mapped[str | None] = mapped_column(String(100))
    homepage_url: Mapped[str | None] = mapped_column(String(500))
    latest_version: Mapped[str | None] = mapped_column(String(100))
    # Maintained with the package_usage rollup (default filters), so the package page, search
    # ranking and the users total never count at read time. They count direct use; the
    # organizations that use the package only transitively are counted apart.
    organization_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    repository_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    transitive_organization_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default="0"
    )
    # Whether package_kind_usage holds the package's per-kind rows (a package this many
    # repositories use: KIND_USAGE_MIN_REPOSITORIES); set with the rows themselves.
    has_kind_usage: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
