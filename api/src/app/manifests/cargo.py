"""Rust crates: Cargo.toml and Cargo.lock."""

from typing import Any

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, load_toml, mapping, text_or_none
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


def parse_cargo_lock(data: bytes, path: str) -> ManifestResult:
    """Registry and git crates, plus the local crates other local crates depend on.

    Entries without a `source` are the repository's own crates: workspace members and path
    dependencies. A local crate that another local crate depends on is reported as a direct
    dependency (its Cargo.toml is declared beside the project's); the local crates nothing
    depends on are the project itself, and a single one is its root.
    """
    document = load_toml(data, path)
    packages = document.get("package", [])
    if not isinstance(packages, list) or ("package" not in document and "version" not in document):
        raise ManifestParseError(path, "not a Cargo.lock: no [[package]] tables")
    entries = [mapping(entry) for entry in packages]
    local = [entry for entry in entries if "source" not in entry and entry.get("name")]
    # Entries read "name", or "name version" when several versions of the crate are locked.
    direct_refs = {
        tuple(str(dep).split(" ")[:2]) for entry in local for dep in entry.get("dependencies", [])
    }
    used_local = {str(entry["name"]) for entry in local if (str(entry["name"]),) in direct_refs}
    deps = Collector(path, Ecosystem.CARGO)
    for entry in entries:
        name = text_or_none(entry.get("name"))
        if not name:
            continue
        is_local = "source" not in entry
        if is_local and name not in used_local:
            continue
        version = text_or_none(entry.get("version"))
        direct = ((name,) in direct_refs or (name, version) in direct_refs) if local else None
        deps.add(name, version=version, direct=direct)
    top = [entry for entry in local if str(entry["name"]) not in used_local]
    root = None
    if len(top) == 1:
        root = deps.root(str(top[0]["name"]), text_or_none(top[0].get("version")))
    return deps.result("Cargo.lock", root)
