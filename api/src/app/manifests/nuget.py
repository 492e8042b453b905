"""NuGet: MSBuild project files, packages.config, packages.lock.json and .nuspec."""

import re
from typing import Any
from xml.etree.ElementTree import Element

from app.core.ecosystems import Ecosystem
from app.manifests._base import (
    Collector,
    child,
    child_text,
    children,
    load_json_object,
    load_xml,
    local_name,
    mapping,
    text_or_none,
)
from app.manifests.graph import DEFAULT_VIA_LIMIT, Root, walk_packages
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_MSBUILD_PROPERTY = re.compile(r"\$\(([A-Za-z_][\w.-]*)\)")
_PLAIN_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]*$")
_ITEMS = {
    "PackageReference": DependencyType.RUNTIME,
    "PackageVersion": DependencyType.MANAGED,
    "GlobalPackageReference": DependencyType.DEVELOPMENT,
}


def _attribute_or_child(element: Element, name: str) -> str | None:
    return text_or_none(element.get(name)) or child_text(element, name)


def _plain(version: str | None) -> str | None:
    return version if version and _PLAIN_VERSION.match(version) else None


def parse_msbuild(data: bytes, path: str) -> ManifestResult:
    project = load_xml(data, path)
    if local_name(project) != "Project":
        raise ManifestParseError(path, f"not an MSBuild project: <{local_name(project)}>")
    properties: dict[str, str] = {}
    for group in children(project, "PropertyGroup"):
        for element in group:
            if element.text and element.text.strip():
                properties.setdefault(local_name(element), element.text.strip())

    def resolve(value: str | None) -> str | None:
        if value is None:
            return None
        resolved = _MSBUILD_PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
        return resolved.strip() or None

    deps = Collector(path, Ecosystem.NUGET)
    for element in project.iter():
        item_type = _ITEMS.get(local_name(element))
        # `Update` changes an item declared elsewhere, so it adds no dependency of its own.
        name = text_or_none(element.get("Include"))
        if item_type is None or not name:
            continue
        requirement = resolve(
            _attribute_or_child(element, "VersionOverride")
            or _attribute_or_child(element, "Version")
        )
        dep_type = item_type
        # PrivateAssets=all keeps a package (analyzers, build tools) from the project's users.
        private = (_attribute_or_child(element, "PrivateAssets") or "").lower()
        if item_type is DependencyType.RUNTIME and private == "all":
            dep_type = DependencyType.DEVELOPMENT
        for package in name.split(";"):
            deps.add(
                package.strip(),
                requirement=requirement,
                version=_plain(requirement),
                type=dep_type,
                direct=True,
            )
    return deps.result("msbuild")


def parse_packages_config(data: bytes, path: str) -> ManifestResult:
    root = load_xml(data, path)
    if local_name(root) != "packages":
        raise ManifestParseError(path, f"not a packages.config: <{local_name(root)}>")
    deps = Collector(path, Ecosystem.NUGET)
    for package in children(root, "package"):
        name = text_or_none(package.get("id"))
        if not name:
            continue
        version = text_or_none(package.get("version"))
        development = (package.get("developmentDependency") or "").lower() == "true"
        deps.add(
            name,
            requirement=version,
            version=version,
            type=DependencyType.DEVELOPMENT if development else DependencyType.RUNTIME,
            direct=True,
        )
    return deps.result("packages.config")


def parse_packages_lock(
    data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT
) -> ManifestResult:
    """Packages of every target framework, once each; a framework's graph is its own."""
    document = load_json_object(data, path)
    if "dependencies" not in document:
        raise ManifestParseError(path, "not a packages.lock.json: no dependencies")
    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    roots: dict[tuple[str, str], Root] = {}
    listed: list[tuple[str, dict[str, Any]]] = []
    for framework_name, framework in mapping(document.get("dependencies")).items():
        entries = mapping(framework)
        for name, raw in entries.items():
            entry = mapping(raw)
            node = (str(framework_name), name.lower())
            edges[node] = [
                (str(framework_name), str(required).lower())
                for required in mapping(entry.get("dependencies"))
            ]
            kind = str(entry.get("type", "")).lower()
            if kind == "direct":
                roots[node] = Root(name)
            if kind != "project":  # another project of the same solution
                listed.append((name, entry))
    walked = walk_packages(edges, roots, via_limit, lambda node: node[1])
    deps = Collector(path, Ecosystem.NUGET)
    seen: set[tuple[str, str | None]] = set()
    for name, entry in listed:
        version = text_or_none(entry.get("resolved"))
        if (name.lower(), version) in seen:
            continue
        seen.add((name.lower(), version))
        is_direct = str(entry.get("type", "")).lower() == "direct"
        deps.add(
            name,
            requirement=text_or_none(entry.get("requested")),
            version=version,
            direct=is_direct,
            via=() if is_direct else walked.via(name.lower()),
        )
    return deps.result("packages.lock.json")


def parse_nuspec(data: bytes, path: str) -> ManifestResult:
    package = load_xml(data, path)
    metadata = child(package, "metadata")
    if local_name(package) != "package" or metadata is None:
        raise ManifestParseError(path, "not a nuspec: no <package><metadata>")
    deps = Collector(path, Ecosystem.NUGET)
    dependencies = child(metadata, "dependencies")
    # Dependencies are listed per target framework, or flat for every framework.
    groups = children(dependencies, "group") or ([dependencies] if dependencies is not None else [])
    for group in groups:
        for dependency in children(group, "dependency"):
            name = text_or_none(dependency.get("id"))
            if name:
                requirement = text_or_none(dependency.get("version"))
                deps.add(name, requirement=requirement, type=DependencyType.RUNTIME, direct=True)
    root = deps.root(child_text(metadata, "id"), child_text(metadata, "version"))
    return deps.result("nuspec", root)
