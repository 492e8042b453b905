"""One package used by one repository, as one manifest declares it, and the manifest paths those
declarations name."""

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
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IntegerPrimaryKey

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


# The path of a declaration that names no manifest (an aggregator's row), and its id.
NO_MANIFEST_PATH = ""
NO_MANIFEST_PATH_ID = 0


class ManifestPath(IntegerPrimaryKey, Base):
    """A manifest's path inside its repository, stored once for every declaration that names
    it: a dependency row holds its 4-byte id (migration 042). Paths are never deleted, so
    `dependencies` carries no foreign key to them (a check per written row); the path ''
    is id 0 (NO_MANIFEST_PATH_ID)."""

    __tablename__ = "manifest_paths"
    __table_args__ = (UniqueConstraint("path"),)

    path: Mapped[str] = mapped_column(String(1000), nullable=False)


class Dependency(Base):
    __tablename__ = "dependencies"
    __table_args__ = (
        # A package may be declared by several manifests of one repository (a monorepo's
        # package.json files, a lockfile beside its manifest): each keeps its own evidence.
        # The natural key is the primary key: no query needs a surrogate id, and every row
        # written would pay for its index. detected_at is the row's one timestamp.
        PrimaryKeyConstraint("repository_id", "package_id", "manifest_path_id"),
    )

    # Columns in alignment order (8-byte, 4-, 1-byte, variable-length last): no padding
    # between them (migrations 037 and 042).
    detected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False
    )
    # No foreign key: packages are never deleted, and ingestion writes only the ids its
    # package upsert returned and locked in the same transaction, so a check per row (a
    # quarter of the write's cost) could never fail. No index of its own either (migration
    # 044): every lookup by package names the repositories too and reads the key.
    package_id: Mapped[int] = mapped_column(Integer, nullable=False)
    dependency_type: Mapped[str] = mapped_column(
        DEPENDENCY_KIND, nullable=False, server_default="runtime"
    )
    # The manifest's path (manifest_paths), part of the key.
    manifest_path_id: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=str(NO_MANIFEST_PATH_ID)
    )
    is_direct: Mapped[bool | None] = mapped_column(Boolean)
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
