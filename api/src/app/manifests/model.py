"""What a manifest parser returns: dependencies, the project's own package, and parse errors."""

from dataclasses import dataclass
from enum import StrEnum


class DependencyType(StrEnum):
    RUNTIME = "runtime"
    DEVELOPMENT = "development"
    OPTIONAL = "optional"
    PEER = "peer"
    BUILD = "build"
    PROVIDED = "provided"
    MANAGED = "managed"
    IMPORT = "import"
    OVERRIDE = "override"
    EXCLUDED = "excluded"
    SUGGESTED = "suggested"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Dependency:
    """One dependency as a file states it.

    `ecosystem` is an `Ecosystem` value, or for SBOM components outside wump's ecosystems the
    purl type (`generic`, `deb`, ...) or None. `type` and `direct` are None when the file does not
    say. `via` names, for a transitive package of a lockfile that records the graph, the direct
    dependencies that pull it in, nearest first; it is empty for direct packages and where the
    file does not tell (go.mod's `// indirect`, go.sum, Pipfile.lock).
    """

    ecosystem: str | None
    name: str
    requirement: str | None
    version: str | None
    type: DependencyType | None
    direct: bool | None
    path: str
    line: int | None = None
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RootPackage:
    ecosystem: str | None
    name: str
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Include:
    """A `-r`/`-c` line of a requirements file, left for the caller to resolve."""

    target: str
    constraint: bool
    line: int


@dataclass(frozen=True, slots=True)
class ManifestResult:
    path: str
    format: str
    dependencies: tuple[Dependency, ...]
    root: RootPackage | None = None
    includes: tuple[Include, ...] = ()
    problems: tuple[str, ...] = ()


class ManifestParseError(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
