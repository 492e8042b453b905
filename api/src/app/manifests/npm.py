"""npm family: package.json, package-lock.json / npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml."""

import re
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from app.core.ecosystems import Ecosystem
from app.manifests._base import (
    Collector,
    decode,
    load_json_object,
    load_yaml,
    mapping,
    text_or_none,
)
from app.manifests.graph import DEFAULT_VIA_LIMIT, Root, walk, walk_packages
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_MANIFEST_GROUPS = (
    ("dependencies", DependencyType.RUNTIME),
    ("devDependencies", DependencyType.DEVELOPMENT),
    ("peerDependencies", DependencyType.PEER),
    ("optionalDependencies", DependencyType.OPTIONAL),
)
_ALIAS = re.compile(r"^npm:((?:@[^/@]+/)?[^@]+)(?:@(.*))?$")


def split_spec(spec: str) -> tuple[str, str]:
    """`name@range` (scoped or not) into its name and range; the range is empty when absent."""
    at = spec.find("@", 1)
    if at == -1:
        return spec, ""
    return spec[:at], spec[at + 1 :]


def _aliased(name: str, requirement: str) -> tuple[str, str]:
    """`"alias": "npm:real@^1"` installs the package `real`, which is what the project uses."""
    match = _ALIAS.match(requirement)
    if match:
        return match.group(1), match.group(2) or ""
    return name, requirement


def parse_package_json(data: bytes, path: str) -> ManifestResult:
    document = load_json_object(data, path)
    deps = Collector(path, Ecosystem.NPM)
    declared: set[str] = set()
    for field, dep_type in _MANIFEST_GROUPS:
        for name, requirement in mapping(document.get(field)).items():
            real_name, real_requirement = _aliased(name, text_or_none(requirement) or "")
            deps.add(real_name, requirement=real_requirement, type=dep_type, direct=True)
            declared.add(name)
    bundled = document.get("bundledDependencies", document.get("bundleDependencies"))
    if isinstance(bundled, list):
        for name in bundled:
            if isinstance(name, str) and name not in declared:
                deps.add(name, type=DependencyType.RUNTIME, direct=True)
    for selector, requirement in mapping(document.get("resolutions")).items():
        deps.add(
            _resolution_target(selector),
            requirement=text_or_none(requirement),
            type=DependencyType.OVERRIDE,
            direct=True,
        )
    project = text_or_none(document.get("name"))
    return deps.result("package.json", deps.root(project, text_or_none(document.get("version"))))


def _resolution_target(selector: str) -> str:
    """The package a yarn `resolutions` selector pins: the last name in `a/**/@scope/b`."""
    parts = selector.split("/")
    name = parts[-1]
    if len(parts) >= 2 and parts[-2].startswith("@"):
        name = f"{parts[-2]}/{name}"
    return split_spec(name)[0] if name.startswith("@") or "@" in name else name


def parse_package_lock(
    data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT
) -> ManifestResult:
    document = load_json_object(data, path)
    deps = Collector(path, Ecosystem.NPM)
    packages = document.get("packages")
    if isinstance(packages, dict):
        _lock_packages(packages, deps, via_limit)
    elif isinstance(document.get("dependencies"), dict):
        _lock_v1_tree(document["dependencies"], deps)
    elif "lockfileVersion" not in document:
        raise ManifestParseError(path, "not an npm lockfile: no lockfileVersion")
    root = deps.root(text_or_none(document.get("name")), text_or_none(document.get("version")))
    return deps.result("package-lock.json", root)


def _lock_type(entry: dict[str, Any]) -> DependencyType:
    if entry.get("dev") or entry.get("devOptional"):
        return DependencyType.DEVELOPMENT
    if entry.get("optional"):
        return DependencyType.OPTIONAL
    if entry.get("peer"):
        return DependencyType.PEER
    return DependencyType.RUNTIME


_EDGE_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")


def _installed(packages: dict[str, Any], location: str, name: str) -> str | None:
    """Where node resolves `name` required from `location`: the nearest node_modules upwards."""
    while True:
        candidate = f"{location}/node_modules/{name}" if location else f"node_modules/{name}"
        if candidate in packages:
            return candidate
        if not location:
            return None
        cut = location.rfind("/node_modules/")
        location = location[:cut] if cut != -1 else ""


def _lock_packages(packages: dict[str, Any], deps: Collector, via_limit: int) -> None:
    # Each non-node_modules entry ("" and workspace folders) is a project whose declared
    # dependencies are the direct ones; npm hoists workspace dependencies to the root.
    declared: dict[str, set[str]] = {}
    roots: dict[str, Root] = {}
    edges: dict[str, list[str]] = {}
    # Folders holding a node_modules of their own ("" for the top one).
    holders = {location[: max(location.rfind("/node_modules/"), 0)] for location in packages}
    for location, raw in packages.items():
        entry = mapping(raw)
        if entry.get("link"):
            target = text_or_none(entry.get("resolved"))
            if target is not None:
                edges[location] = [target]
            continue
        project = "node_modules/" not in f"/{location}"
        # Most packages have no node_modules of their own and sit at the top: their
        # dependencies can only be at the top too.
        flat = location not in holders and "/node_modules/" not in location
        targets: list[str] = []
        for field in _EDGE_FIELDS if not project else (*_EDGE_FIELDS, "devDependencies"):
            required = entry.get(field)
            if not isinstance(required, dict):
                continue
            for name in required:
                if flat:
                    target = "node_modules/" + name
                    if target not in packages:
                        continue
                else:
                    found = _installed(packages, location, name)
                    if found is None:
                        continue
                    target = found
                targets.append(target)
                if project:
                    development = field == "devDependencies"
                    known = roots.get(target)
                    if known is None or (known.development and not development):
                        roots[target] = Root(name, development)
        edges[location] = targets
        if project:
            declared[location] = {
                name for field, _ in _MANIFEST_GROUPS for name in mapping(entry.get(field))
            }
    walked = walk(edges, roots, via_limit)
    any_workspace = set().union(*declared.values()) if declared else set()
    for location, raw in packages.items():
        entry = mapping(raw)
        if location in declared or entry.get("link"):
            continue
        prefix, _, installed_name = location.rpartition("node_modules/")
        name = text_or_none(entry.get("name")) or installed_name
        owner = prefix.removesuffix("/")
        if owner in declared:
            direct = installed_name in declared[owner] or (
                owner == "" and installed_name in any_workspace
            )
        else:
            direct = False
        dep_type = _lock_type(entry)
        # npm flags dev packages itself; the path decides where a lockfile left the flag out.
        if dep_type is DependencyType.RUNTIME and walked.development_only(location):
            dep_type = DependencyType.DEVELOPMENT
        version = text_or_none(entry.get("version"))
        deps.add(
            name,
            version=version,
            type=dep_type,
            direct=direct,
            via=() if direct else walked.via(location),
        )


def _lock_v1_tree(tree: dict[str, Any], deps: Collector) -> None:
    # Version 1 lockfiles nest the tree; without the package.json they cannot tell direct
    # dependencies from hoisted transitive ones.
    pending: deque[dict[str, Any]] = deque([tree])
    while pending:
        for key, raw in pending.popleft().items():
            entry = mapping(raw)
            version = text_or_none(entry.get("version")) or ""
            name, version = _aliased(key, version)
            deps.add(name, version=version, type=_lock_type(entry))
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                pending.append(nested)


def parse_yarn_lock(data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT) -> ManifestResult:
    text = decode(data, path)
    if re.search(r"^__metadata:", text, re.MULTILINE):
        return _parse_yarn_berry(data, path, via_limit)
    return _parse_yarn_classic(text, path)


_PROJECT_PROTOCOLS = ("workspace", "link", "portal")


def _berry_edges(
    document: dict[str, Any],
) -> tuple[dict[str, list[str]], dict[str, Root]]:
    """Entries as nodes: each descriptor a dependency map names resolves to the entry listing it."""
    entry_of: dict[str, str] = {}
    for key in document:
        for descriptor in str(key).split(","):
            entry_of[descriptor.strip().strip('"')] = str(key)
    edges: dict[str, list[str]] = {}
    roots: dict[str, Root] = {}
    for key, raw in document.items():
        entry = mapping(raw)
        resolution = text_or_none(entry.get("resolution")) or str(key).split(",")[0].strip()
        reference = split_spec(resolution)[1]
        protocol = reference.partition(":")[0]
        targets: list[str] = []
        if protocol == "patch":
            # A patched package stands for the package it patches.
            base = unquote(reference.removeprefix("patch:").split("#", 1)[0])
            if base in entry_of:
                targets.append(entry_of[base])
        for dependency, descriptor in mapping(entry.get("dependencies")).items():
            range_ = str(descriptor)
            target = entry_of.get(f"{dependency}@{range_}") or entry_of.get(
                f"{dependency}@npm:{range_}"
            )
            if target is None:
                continue
            targets.append(target)
            # A workspace's dependencies are the project's direct ones (the lockfile does not
            # keep which were development dependencies).
            if protocol in _PROJECT_PROTOCOLS:
                roots[target] = Root(dependency)
        edges[str(key)] = targets
    return edges, roots


def _parse_yarn_berry(data: bytes, path: str, via_limit: int) -> ManifestResult:
    document = mapping(load_yaml(data, path))
    if not document:
        raise ManifestParseError(path, "expected a YAML mapping at the top level")
    document.pop("__metadata", None)
    edges, roots = _berry_edges(document)
    walked = walk(edges, roots, via_limit)
    deps = Collector(path, Ecosystem.NPM)
    for key, raw in document.items():
        entry = mapping(raw)
        if not entry:
            continue
        resolution = text_or_none(entry.get("resolution")) or str(key).split(",")[0].strip()
        name, reference = split_spec(resolution)
        protocol = reference.partition(":")[0]
        # Workspaces, links and portals are the project's own folders; a patch entry repeats
        # the package it patches, which has its own entry.
        if protocol in (*_PROJECT_PROTOCOLS, "patch"):
            continue
        deps.add(
            name,
            version=text_or_none(entry.get("version")),
            direct=(str(key) in roots) if roots else None,
            via=() if str(key) in roots else walked.via(str(key)),
        )
    return deps.result("yarn.lock")


def _parse_yarn_classic(text: str, path: str) -> ManifestResult:
    deps = Collector(path, Ecosystem.NPM)
    first_spec: str | None = None
    entry_line = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            if not line.rstrip().endswith(":"):
                raise ManifestParseError(path, f"line {number}: not a yarn.lock entry")
            first_spec = line.split(",")[0].strip().rstrip(":").strip('"')
            entry_line = number
        elif first_spec and line.startswith("  version "):
            name, requirement = split_spec(first_spec)
            name, _ = _aliased(name, requirement)
            deps.add(name, version=line.strip()[len("version ") :].strip('"'), line=entry_line)
            first_spec = None
    return deps.result("yarn.lock")


_PEER_SUFFIX = re.compile(r"\(.*\)$")
_ALIASED_VERSION = re.compile(r"^(?:@[^/@]+/)?[^@/:()]+@")


class _Pnpm:
    """Reads one pnpm lockfile.

    Graph nodes are variants, `(name, version with its peer suffix)`: one package installed
    against two peer sets is two nodes whose dependencies differ. Packages are `(name, version)`.
    """

    def __init__(self, major: int) -> None:
        self.major = major

    def base(self, version: str) -> str:
        version = _PEER_SUFFIX.sub("", version.strip())
        # Version 5 appends peer resolutions after an underscore.
        return version.split("_", 1)[0] if self.major < 6 else version

    def key_node(self, key: str) -> tuple[str, str]:
        key = key.strip().removeprefix("/")
        if self.major >= 6:
            return split_spec(key)
        # Version 5 keys read `/name/version_peers`; a scoped name holds one more slash.
        name, _, version = key.partition("/") if not key.startswith("@") else _scoped(key)
        return name, version

    def ref_node(self, name: str, version: str) -> tuple[str, str]:
        """The variant a dependency map entry `name: version` points at."""
        if version.startswith("/"):
            return self.key_node(version)
        if _ALIASED_VERSION.match(self.base(version)):
            return split_spec(version)
        return name, version.strip()

    def package(self, node: tuple[str, str]) -> tuple[str, str]:
        return node[0], self.base(node[1])


def _scoped(key: str) -> tuple[str, str, str]:
    scope, _, rest = key.partition("/")
    name, _, version = rest.partition("/")
    return f"{scope}/{name}", "/", version


def _importer_dependencies(importer: dict[str, Any]) -> Iterable[tuple[str, str, bool]]:
    """(name, version, is production) for each dependency an importer declares."""
    for field, production in (
        ("dependencies", True),
        ("optionalDependencies", True),
        ("devDependencies", False),
    ):
        for name, value in mapping(importer.get(field)).items():
            raw = mapping(value).get("version") if isinstance(value, dict) else value
            version = text_or_none(raw)
            if version and not version.startswith(("link:", "workspace:")):
                yield str(name), version, production


def _edges(entry: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for field in ("dependencies", "optionalDependencies"):
        for name, version in mapping(entry.get(field)).items():
            if isinstance(version, str):
                yield str(name), version


def parse_pnpm_lock(data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT) -> ManifestResult:
    document = load_yaml(data, path)
    if not isinstance(document, dict) or "lockfileVersion" not in document:
        raise ManifestParseError(path, "not a pnpm lockfile: no lockfileVersion")
    try:
        pnpm = _Pnpm(int(float(str(document["lockfileVersion"]))))
    except ValueError:
        raise ManifestParseError(path, "unreadable lockfileVersion") from None
    # Lockfiles before workspaces support keep the single project's lists at the top level.
    importers = mapping(document.get("importers")) or {".": document}
    roots: dict[tuple[str, str], Root] = {}
    for importer in importers.values():
        for name, version, production in _importer_dependencies(mapping(importer)):
            node = pnpm.ref_node(name, version)
            if production or node not in roots:
                roots[node] = Root(pnpm.package(node)[0], not production)

    packages = mapping(document.get("packages"))
    # Version 9 moved the dependency graph and the optional flag from packages to snapshots.
    graph_entries = mapping(document.get("snapshots")) or packages
    graph: dict[tuple[str, str], list[tuple[str, str]]] = {}
    # A package is optional only when every variant of it is.
    variant_optional: dict[tuple[str, str], bool] = {}
    for key, raw in graph_entries.items():
        entry = mapping(raw)
        node = pnpm.key_node(str(key))
        graph.setdefault(node, []).extend(pnpm.ref_node(n, v) for n, v in _edges(entry))
        package = pnpm.package(node)
        optional = bool(entry.get("optional"))
        variant_optional[package] = variant_optional.get(package, True) and optional
    walked = walk_packages(graph, roots, via_limit, pnpm.package)
    direct = {pnpm.package(node) for node in roots}

    deps = Collector(path, Ecosystem.NPM)
    listed: set[tuple[str, str]] = set()
    for key, raw in packages.items():
        entry = mapping(raw)
        package = pnpm.package(pnpm.key_node(str(key)))
        if package in listed:
            continue  # another peer variant of a package already reported
        listed.add(package)
        name = text_or_none(entry.get("name")) or package[0]
        version = text_or_none(entry.get("version")) or package[1]
        if ":" in version:
            version = ""
        if variant_optional.get(package) or entry.get("optional"):
            dep_type = DependencyType.OPTIONAL
        elif "dev" in entry:
            dep_type = DependencyType.DEVELOPMENT if entry["dev"] else DependencyType.RUNTIME
        elif walked.development_only(package):
            dep_type = DependencyType.DEVELOPMENT
        else:
            dep_type = DependencyType.RUNTIME
        deps.add(
            name,
            version=version,
            type=dep_type,
            direct=package in direct,
            via=() if package in direct else walked.via(package),
        )
    return deps.result("pnpm-lock.yaml")
