"""What ingestion stores, built from provider answers and parsed manifests (no I/O here)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.core.ecosystems import Ecosystem, normalize_name
from app.manifests import Dependency as ParsedDependency
from app.providers.base import Dependent, OrganizationProfile, RepositoryInfo
from app.repositories.ingestion import DependencyColumns, OrganizationFields, RepositoryFields

# How a scan's dependencies meet the stored ones: `replace` the repository's set, `merge` into
# it (the listing was cut short, so absence proves nothing), or `keep` it (the scan failed).
Mode = Literal["replace", "merge", "keep"]

_ECOSYSTEMS = {e.value: e for e in Ecosystem}
_MAX_NAME, _MAX_PATH, _MAX_REQUIREMENT, _MAX_VERSION, _MAX_SHA = 500, 1000, 500, 100, 64
# The parser caps via at MANIFEST_VIA_LIMIT names; a cut inside a name would store a wrong one,
# so whole names are kept while they fit.
_MAX_VIA = 2000

# ecosyste.ms kinds as the upstream manifests spell them, mapped to wump's dependency types.
_KINDS = {
    "runtime": "runtime",
    "normal": "runtime",
    "compile": "runtime",
    "dependencies": "runtime",
    "require": "runtime",
    "production": "runtime",
    "system": "runtime",
    "development": "development",
    "dev": "development",
    "develop": "development",
    "test": "development",
    "devdependencies": "development",
    "require-dev": "development",
    "optional": "optional",
    "optionaldependencies": "optional",
    "peer": "peer",
    "peerdependencies": "peer",
    "build": "build",
    "provided": "provided",
    "import": "import",
    "suggest": "suggested",
    "suggested": "suggested",
}


@dataclass(frozen=True, slots=True)
class DependencyFacts:
    """One stored declaration before ids are known."""

    ecosystem: str
    name: str
    manifest_path: str
    requirement: str | None
    version: str | None
    dependency_type: str
    is_direct: bool | None
    # Dependency.via: the direct dependencies pulling a transitive package in, normalized.
    via: str | None = None


@dataclass
class ScannedRepository:
    fields: RepositoryFields
    mode: Mode
    source: str
    dependencies: list[DependencyFacts] = field(default_factory=list)
    commit_sha: str | None = None
    # Manifests that could not be read: their stored rows stay until a scan reads them again.
    kept_paths: tuple[str, ...] = ()
    scan_error: str | None = None


def organization_fields(profile: OrganizationProfile) -> OrganizationFields:
    return OrganizationFields(
        login=profile.login,
        owner_type="user" if profile.kind == "User" else "organization",
        name=profile.name,
        github_url=profile.html_url or f"https://github.com/{profile.login}",
        website_url=_cut(profile.website, 500),
        description=profile.description,
        email=_cut(profile.email, 320),
        location=_cut(profile.location, 255),
        is_verified=profile.is_verified,
    )


def repository_fields(info: RepositoryInfo) -> RepositoryFields:
    return RepositoryFields(
        full_name=info.full_name,
        name=info.name,
        owner=info.owner,
        github_url=_github_url(info.full_name, info.html_url),
        description=info.description,
        stars=max(0, info.stars),
        primary_language=_cut(info.language, 100),
        default_branch=_cut(info.default_branch, 255),
        is_fork=info.is_fork,
        is_archived=info.is_archived,
        pushed_at=info.pushed_at,
    )


def dependent_fields(dependent: Dependent) -> RepositoryFields:
    repository = dependent.repository
    owner, _, name = repository.full_name.partition("/")
    return RepositoryFields(
        full_name=repository.full_name,
        name=name,
        owner=repository.owner or owner,
        github_url=_github_url(repository.full_name, repository.html_url),
        description=None,
        stars=max(0, repository.stars),
        primary_language=_cut(repository.language, 100),
        default_branch=_cut(repository.default_branch, 255),
        is_fork=repository.is_fork,
        is_archived=repository.is_archived,
        pushed_at=repository.pushed_at,
    )


def local_fields(login: str, repository: str) -> RepositoryFields:
    full_name = f"{login}/{repository}"
    return RepositoryFields(
        full_name=full_name,
        name=repository,
        owner=login,
        github_url=f"https://github.com/{full_name}",
        description=None,
        stars=0,
        primary_language=None,
        default_branch=None,
        is_fork=False,
        is_archived=False,
        pushed_at=None,
    )


def facts_from_manifest(dependencies: Iterable[ParsedDependency]) -> list[DependencyFacts]:
    """The declarations wump stores: known ecosystems, names normalized, fields bounded."""
    found: list[DependencyFacts] = []
    for dependency in dependencies:
        ecosystem = _ECOSYSTEMS.get(dependency.ecosystem or "")
        if ecosystem is None:
            continue
        name = normalize_name(ecosystem, dependency.name)
        if not name or len(name) > _MAX_NAME or len(dependency.path) > _MAX_PATH:
            continue
        found.append(
            DependencyFacts(
                ecosystem=ecosystem.value,
                name=name,
                manifest_path=dependency.path,
                requirement=_cut(dependency.requirement, _MAX_REQUIREMENT),
                version=_cut(dependency.version, _MAX_VERSION),
                dependency_type=dependency.type.value if dependency.type else "runtime",
                is_direct=dependency.direct,
                via=_via(ecosystem, dependency) if dependency.direct is False else None,
            )
        )
    return found


def _via(ecosystem: Ecosystem, dependency: ParsedDependency) -> str | None:
    """The names a transitive package arrives through, as stored: normalized, joined by spaces
    (a name that holds whitespace or is over-long cannot be one and is left out)."""
    kept: list[str] = []
    size = 0
    for name in dict.fromkeys(normalize_name(ecosystem, name) for name in dependency.via):
        if not name or len(name) > _MAX_NAME or _has_space(name) or name in kept:
            continue
        if size + len(name) + 1 > _MAX_VIA:
            break
        kept.append(name)
        size += len(name) + 1
    return " ".join(kept) or None


def _has_space(name: str) -> bool:
    return any(character.isspace() for character in name)


def facts_from_dependent(dependent: Dependent) -> DependencyFacts | None:
    name = normalize_name(dependent.ecosystem, dependent.package_name)
    path = dependent.manifest_path
    if not name or len(name) > _MAX_NAME or len(path) > _MAX_PATH:
        return None
    kind = _KINDS.get((dependent.dependency_kind or "runtime").lower().replace("_", ""), "other")
    if dependent.is_optional and kind == "runtime":
        kind = "optional"
    return DependencyFacts(
        ecosystem=dependent.ecosystem.value,
        name=name,
        manifest_path=path,
        requirement=_cut(dependent.requirement, _MAX_REQUIREMENT),
        version=None,
        dependency_type=kind,
        is_direct=dependent.is_direct,
    )


def dependency_columns(
    scans: Sequence[tuple[int, ScannedRepository]],
    packages: dict[tuple[str, str], int],
) -> DependencyColumns:
    """Every declaration of the scans as columns, in scan order (the write keeps one row per
    key and sorts them). Columns of objects that already exist leave the garbage collector
    idle: a tuple per row would make it sweep the whole heap many times over."""
    columns = DependencyColumns([], [], [], [], [], [], [], [], [], [], [])
    for position, (repository_id, scan) in enumerate(scans, start=1):
        facts = scan.dependencies
        columns.repository_ids.append(repository_id)
        columns.sources.append(scan.source)
        columns.commit_shas.append(_cut(scan.commit_sha, _MAX_SHA))
        columns.scans.extend([position] * len(facts))
        columns.package_ids.extend([packages[(f.ecosystem, f.name)] for f in facts])
        columns.manifest_paths.extend([f.manifest_path for f in facts])
        columns.requirements.extend([f.requirement for f in facts])
        columns.versions.extend([f.version for f in facts])
        columns.dependency_types.extend([f.dependency_type for f in facts])
        columns.directs.extend([f.is_direct for f in facts])
        columns.vias.extend([f.via for f in facts])
    return columns


def _github_url(full_name: str, html_url: str | None) -> str:
    if html_url and len(html_url) <= 500 and html_url.startswith("https://"):
        return html_url
    return f"https://github.com/{full_name}"


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value
