"""Maven pom.xml: dependencies, dependencyManagement and scopes, with property interpolation."""

import re
from xml.etree.ElementTree import Element

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, child, child_text, children, load_xml, local_name
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_SCOPES = {
    "compile": DependencyType.RUNTIME,
    "runtime": DependencyType.RUNTIME,
    "test": DependencyType.DEVELOPMENT,
    "provided": DependencyType.PROVIDED,
    "system": DependencyType.PROVIDED,
    "import": DependencyType.IMPORT,
}
_RANGE_OR_PROPERTY = re.compile(r"[\[\](),$]")


def _properties(project: Element) -> dict[str, str]:
    values: dict[str, str] = {}
    properties = child(project, "properties")
    for element in properties if properties is not None else []:
        if element.text is not None and local_name(element):
            values[local_name(element)] = element.text.strip()
    parent = child(project, "parent")
    builtins = {
        "groupId": child_text(project, "groupId") or child_text(parent, "groupId"),
        "artifactId": child_text(project, "artifactId"),
        "version": child_text(project, "version") or child_text(parent, "version"),
        "parent.groupId": child_text(parent, "groupId"),
        "parent.artifactId": child_text(parent, "artifactId"),
        "parent.version": child_text(parent, "version"),
    }
    for key, value in builtins.items():
        if value:
            for prefix in ("project.", "pom."):
                values.setdefault(prefix + key, value)
    return values


def _interpolate(text: str | None, values: dict[str, str]) -> str | None:
    if text is None:
        return None
    # Properties may refer to other properties; bounded passes stop reference cycles.
    for _ in range(10):
        if "${" not in text:
            break
        replaced = _PROPERTY.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)
        if replaced == text:
            break
        text = replaced
    return text.strip() or None


def _scope_type(scope: str | None, optional: bool, managed: bool) -> DependencyType:
    scope = (scope or "compile").lower()
    if scope == "import":
        return DependencyType.IMPORT
    if managed:
        return DependencyType.MANAGED
    dep_type = _SCOPES.get(scope, DependencyType.OTHER)
    # An optional dependency is not passed on to the project's own users.
    if optional and dep_type is DependencyType.RUNTIME:
        return DependencyType.OPTIONAL
    return dep_type


def parse_pom(data: bytes, path: str) -> ManifestResult:
    project = load_xml(data, path)
    if local_name(project) != "project":
        raise ManifestParseError(path, f"not a pom: root element is <{local_name(project)}>")
    values = _properties(project)
    deps = Collector(path, Ecosystem.MAVEN)
    seen: set[tuple[str, str | None, DependencyType]] = set()
    # A profile active by default is part of every ordinary build; other profiles are opt-in.
    models = [project] + [
        profile
        for profile in children(child(project, "profiles"), "profile")
        if (child_text(child(profile, "activation"), "activeByDefault") or "").lower() == "true"
    ]
    sections = [
        (section, managed)
        for model in models
        for section, managed in (
            (child(model, "dependencies"), False),
            (child(child(model, "dependencyManagement"), "dependencies"), True),
        )
    ]
    for section, managed in sections:
        for dependency in children(section, "dependency"):
            group = _interpolate(child_text(dependency, "groupId"), values)
            artifact = _interpolate(child_text(dependency, "artifactId"), values)
            if not group or not artifact:
                continue
            requirement = _interpolate(child_text(dependency, "version"), values)
            optional = (child_text(dependency, "optional") or "").lower() == "true"
            dep_type = _scope_type(child_text(dependency, "scope"), optional, managed)
            key = (f"{group}:{artifact}", requirement, dep_type)
            # The same artifact twice in one scope (e.g. jar and pom types) is one package.
            if key in seen:
                continue
            seen.add(key)
            pinned = (
                requirement if requirement and not _RANGE_OR_PROPERTY.search(requirement) else None
            )
            deps.add(key[0], requirement=requirement, version=pinned, type=dep_type, direct=True)
    group = values.get("project.groupId")
    artifact = values.get("project.artifactId")
    root = (
        deps.root(f"{group}:{artifact}", values.get("project.version"))
        if group and artifact
        else None
    )
    return deps.result("pom.xml", root)
