"""Rust crates: Cargo.toml and Cargo.lock."""

from typing import Any

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, load_toml, mapping, text_or_none
from app.manifests.graph import DEFAULT_VIA_LIMIT, Root, walk
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_TABLES = (
    ("dependencies", DependencyType.RUNTIME),
    ("dev-dependencies", DependencyType.DEVELOPMENT),
    ("dev_dependencies", DependencyType.DEVELOPMENT),
    ("build-dependencies", DependencyType.BUILD),
    ("build_dependencies", DependencyType.BUILD),
)


def _add_table(deps: Collector, table: Any, table_type: DependencyType) -> None:
    for key, value in mapping(table).items():
        if isinstance(value, dict):
            # `alias = { package = "real" }` depends on the crate `real`.
            name = text_or_none(value.get("package")) or key
            requirement = text_or_none(value.get("version")) or text_or_none(value.get("git"))
            if requirement is None and "path" in value:
                continue  # a crate of the same workspace, not a published one
            dep_type = DependencyType.OPTIONAL if value.get("optional") else table_type
        else:
            name, requirement, dep_type = key, text_or_none(value), table_type
        deps.add(name, requirement=requirement, type=dep_type, direct=True)


def parse_cargo_toml(data: bytes, path: str) -> ManifestResult:
    document = load_toml(data, path)
    deps = Collector(path, Ecosystem.CARGO)
    for table, dep_type in _TABLES:
        _add_table(deps, document.get(table), dep_type)
    for target in mapping(document.get("target")).values():
        for table, dep_type in _TABLES:
            _add_table(deps, mapping(target).get(table), dep_type)
    # Workspace dependencies are versions members inherit, like a dependency management table.
    _add_table(deps, mapping(document.get("workspace")).get("dependencies"), DependencyType.MANAGED)
    package = mapping(document.get("package"))
    root = deps.root(text_or_none(package.get("name")), text_or_none(package.get("version")))
    return deps.result("Cargo.toml", root)


def parse_cargo_lock(data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT) -> ManifestResult:
    """Registry and git crates, plus the local crates other local crates depend on.

    Entries without a `source` are the repository's own crates: workspace members and path
    dependencies. A local crate that another local crate depends on is reported as a direct
    dependency (its Cargo.toml is declared beside the project's); the local crates nothing
    depends on are the project itself, and a single one is its root. What the local crates list
    is direct; `via` starts from there.
    """
    document = load_toml(data, path)
    packages = document.get("package", [])
    if not isinstance(packages, list) or ("package" not in document and "version" not in document):
        raise ManifestParseError(path, "not a Cargo.lock: no [[package]] tables")
    entries = [mapping(entry) for entry in packages if text_or_none(mapping(entry).get("name"))]
    versions: dict[str, list[str]] = {}
    for entry in entries:
        versions.setdefault(str(entry["name"]), []).append(str(entry.get("version", "")))
    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for entry in entries:
        node = (str(entry["name"]), str(entry.get("version", "")))
        edges[node] = [
            target
            for reference in entry.get("dependencies", []) or []
            if (target := _locked(str(reference), versions)) is not None
        ]
    local = {
        (str(entry["name"]), str(entry.get("version", "")))
        for entry in entries
        if "source" not in entry
    }
    roots = {target: Root(target[0]) for node in local for target in edges[node]}
    walked = walk(edges, roots, via_limit)
    deps = Collector(path, Ecosystem.CARGO)
    for entry in entries:
        node = (str(entry["name"]), str(entry.get("version", "")))
        if node in local and node not in roots:
            continue
        deps.add(
            node[0],
            version=node[1],
            direct=node in roots if local else None,
            via=() if node in roots else walked.via(node),
        )
    top = sorted(local - set(roots))
    root = deps.root(top[0][0], top[0][1] or None) if len(top) == 1 else None
    return deps.result("Cargo.lock", root)


def _locked(reference: str, versions: dict[str, list[str]]) -> tuple[str, str] | None:
    """The locked crate a dependency entry names: "name", "name version" or with its source."""
    name, _, rest = reference.partition(" ")
    candidates = versions.get(name, [])
    version = rest.split(" ", 1)[0] if rest else None
    if version is not None:
        return (name, version) if version in candidates else None
    return (name, candidates[0]) if candidates else None
