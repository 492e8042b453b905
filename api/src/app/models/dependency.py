"""One package used by one repository, as one manifest declares it."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

if TYPE_CHECKING:
    from app.models.repository import Repository

DEPENDENCY_TYPES = (
    "runtime",
    "development",
    "optional",
    "peer",
    "build",
    "provided",
    "managed",
    "import",
    "override",
    "excluded",
    "suggested",
    "other",
)


# The kinds as a PostgreSQL enum (4 bytes in each row rather than the name's 8 to 12), in
# DEPENDENCY_TYPES order, so SQL compares them by name and orders them as that tuple.
DEPENDENCY_KIND = Enum(*DEPENDENCY_TYPES, name="dependency_kind")


class Dependency(Base):
    __tablename__ = "dependencies"
    __table_args__ = (
        # A package may be declared by several manifests of one repository (a monorepo's
        # package.json files, a lockfile beside its manifest): each keeps its own evidence.
        # The natural key is the primary key: no query needs a surrogate id, and every row
        # written would pay for its index. detected_at is the row's one timestamp.
        PrimaryKeyConstraint("repository_id", "package_id", "manifest_path"),
    )

    # Columns in alignment order (8-byte, 4-, 1-byte, variable-length last): no padding
    # between them (migration 037).
    detected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False
    )
    # No foreign key: packages are never deleted, and ingestion writes only the ids its
    # package upsert returned and locked in the same transaction, so a check per row (a
    # quarter of the write's cost) could never fail.
    package_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    dependency_type: Mapped[str] = mapped_column(
        DEPENDENCY_KIND, nullable=False, server_default="runtime"
    )
    is_direct: Mapped[bool | None] = mapped_column(Boolean)
    manifest_path: Mapped[str] = mapped_column(String(1000), nullable=False, server_default="")
    requirement: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(50))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    # For a transitive package of a lockfile that records the graph: the direct dependencies of
    # the manifest that pull it in, nearest first, each once, separated by spaces (no ecosystem
    # allows one in a package name). One short text costs a fraction of an array's 24-byte
    # header; NULL for direct rows and where the file does not tell.
    via: Mapped[str | None] = mapped_column(Text)

    repository: Mapped["Repository"] = relationship(back_populates="dependencies", lazy="raise")
