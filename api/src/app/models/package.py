"""Packages of every supported ecosystem, keyed by (ecosystem, normalized name)."""

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPrimaryKey


class Package(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("ecosystem", "name"),)

    ecosystem: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    repository_url: Mapped[str | None] = mapped_column(String(500))
    homepage_url: Mapped[str | None] = mapped_column(String(500))
    latest_version: Mapped[str | None] = mapped_column(String(100))
