"""PyPI lockfiles: poetry.lock, uv.lock and Pipfile.lock."""

from collections.abc import Iterable
from typing import Any

from app.core.ecosystems import Ecosystem, normalize_name
from app.manifests._base import (
    Collector,
    expect_mapping,
    load_json,
    load_toml,
    mapping,
    text_or_none,
)
from app.manifests.graph import DEFAULT_VIA_LIMIT, Root, reachable, sources, walk
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult


def _packages(document: dict[str, Any], path: str) -> list[dict[str, Any]]:
    packages = document.get("package", [])
    if not isinstance(packages, list):
        raise ManifestParseError(path, "expected [[package]] tables")
    return [mapping(entry) for entry in packages]


def parse_poetry_lock(data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT) -> ManifestResult:
    """Packages with the groups Poetry resolved them for (already derived from the project's graph).

    The project's own requirements live in pyproject.toml: the packages no other locked package
    requires are certainly direct ones, and `via` starts from them; others stay unknown.
    """
    document = load_toml(data, path)
    if "package" not in document and "metadata" not in document:
        raise ManifestParseError(path, "not a poetry.lock: no [[package]] or [metadata]")
    entries: list[tuple[str, dict[str, Any], DependencyType]] = []
    edges: dict[str, list[str]] = {}
    for entry in _packages(document, path):
        name = text_or_none(entry.get("name"))
        if not name:
            continue
        # Poetry 1 records one `category`, Poetry 2 the list of `groups` needing the package.
        groups = entry.get("groups")
        in_main = (
            "main" in groups
            if isinstance(groups, list)
            else entry.get("category", "main") == "main"
        )
        if entry.get("optional"):
            dep_type = DependencyType.OPTIONAL
        elif in_main:
            dep_type = DependencyType.RUNTIME
        else:
            dep_type = DependencyType.DEVELOPMENT
        node = normalize_name(Ecosystem.PYPI, name)
        entries.append((node, entry, dep_type))
        edges.setdefault(node, []).extend(
            normalize_name(Ecosystem.PYPI, str(required))
            for required in mapping(entry.get("dependencies"))
        )
    types = {node: dep_type for node, _, dep_type in entries}
    roots = {node: Root(node, types[node] is DependencyType.DEVELOPMENT) for node in sources(edges)}
    walked = walk(edges, roots, via_limit)
    deps = Collector(path, Ecosystem.PYPI)
    for node, entry, dep_type in entries:
        deps.add(
            node,
            version=text_or_none(entry.get("version")),
            type=dep_type,
            direct=True if node in roots else None,
            via=() if node in roots else walked.via(node),
        )
    return deps.result("poetry.lock")


def parse_pipfile_lock(data: bytes, path: str) -> ManifestResult:
    document = expect_mapping(load_json(data, path), path, "a JSON object")
    if "default" not in document and "develop" not in document:
        raise ManifestParseError(path, "not a Pipfile.lock: no default or develop section")
    deps = Collector(path, Ecosystem.PYPI)
    for section, dep_type in (
        ("default", DependencyType.RUNTIME),
        ("develop", DependencyType.DEVELOPMENT),
    ):
        for name, raw in mapping(document.get(section)).items():
            entry = mapping(raw)
            pin = text_or_none(entry.get("version"))
            version = pin.removeprefix("==") if pin and pin.startswith("==") else None
            deps.add(name, requirement=pin, version=version, type=dep_type)
    return deps.result("Pipfile.lock")


def _names(entries: Any) -> Iterable[str]:
    if isinstance(entries, list):
        for entry in entries:
            name = text_or_none(mapping(entry).get("name"))
            if name:
                yield normalize_name(Ecosystem.PYPI, name)


def parse_uv_lock(data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT) -> ManifestResult:
    document = load_toml(data, path)
    if "package" not in document and "version" not in document:
        raise ManifestParseError(path, "not a uv.lock: no [[package]] or version")
    packages = _packages(document, path)
    # Workspace members (the project itself) are the editable or virtual sources; their
    # dependency lists are the direct ones.
    members: list[dict[str, Any]] = []
    graph: dict[str, list[str]] = {}
    for entry in packages:
        name = normalize_name(Ecosystem.PYPI, text_or_none(entry.get("name")) or "")
        source = mapping(entry.get("source"))
        if "editable" in source or "virtual" in source:
            members.append(entry)
        edges = list(_names(entry.get("dependencies")))
        for extra in mapping(entry.get("optional-dependencies")).values():
            edges.extend(_names(extra))
        graph.setdefault(name, []).extend(edges)
    member_names = {normalize_name(Ecosystem.PYPI, str(m.get("name", ""))) for m in members}
    runtime_roots = [n for m in members for n in _names(m.get("dependencies"))]
    optional_roots = [
        n
        for m in members
        for extra in mapping(m.get("optional-dependencies")).values()
        for n in _names(extra)
    ]
    dev_roots = [
        n
        for m in members
        for group in mapping(m.get("dev-dependencies")).values()
        for n in _names(group)
    ]
    roots = {name: Root(name, True) for name in dev_roots}
    roots.update({name: Root(name, False) for name in (*optional_roots, *runtime_roots)})
    walked = walk(graph, roots, via_limit)
    runtime = reachable(runtime_roots, graph)

    deps = Collector(path, Ecosystem.PYPI)
    root = None
    for entry in packages:
        name = normalize_name(Ecosystem.PYPI, text_or_none(entry.get("name")) or "")
        version = text_or_none(entry.get("version"))
        if name in member_names:
            root = root or deps.root(name, version)
            continue
        if name in runtime:
            dep_type: DependencyType | None = DependencyType.RUNTIME
        elif name not in walked.arrivals:
            dep_type = None
        elif walked.development_only(name):
            dep_type = DependencyType.DEVELOPMENT
        else:
            dep_type = DependencyType.OPTIONAL
        deps.add(
            name,
            version=version,
            type=dep_type,
            direct=name in roots if members else None,
            via=() if name in roots else walked.via(name),
        )
    return deps.result("uv.lock", root)
