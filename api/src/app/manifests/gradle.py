"""Gradle: build scripts (read as text), lockfiles, version catalogs, verification metadata."""

import re
from typing import Any

from app.core.ecosystems import Ecosystem
from app.manifests._base import (
    Collector,
    LineIndex,
    children,
    decode,
    load_toml,
    load_xml,
    local_name,
    mapping,
    text_or_none,
)
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_STRING = r"""(?:'([^'\n]*)'|"([^"\n]*)")"""
_STATEMENT = re.compile(r"(?m)^[ \t]*([A-Za-z_][\w]*)[ \t]*(?=[('\"\[]|[A-Za-z_])")
_COORDINATE = re.compile(_STRING)
_MAP_NOTATION = re.compile(
    rf"group\s*[:=]\s*{_STRING}\s*,\s*name\s*[:=]\s*{_STRING}(?:\s*,\s*version\s*[:=]\s*{_STRING})?"
)
_PLATFORM = re.compile(rf"\b(platform|enforcedPlatform)\s*\(\s*{_STRING}")
_KOTLIN_MODULE = re.compile(rf"\bkotlin\s*\(\s*{_STRING}(?:\s*,\s*{_STRING})?\s*\)")
# `name = "value"` with an optional val/var/def/ext./extra["..."] prefix: simple properties
# that versions such as "$junitVersion" refer to.
_ASSIGNMENT = re.compile(
    r"(?m)^[ \t]*(?:(?:val|var|def|const val)[ \t]+|ext\.|extra\[\s*['\"])?"
    rf"([A-Za-z_][\w.]*)['\"]?\s*\]?\s*=\s*{_STRING}\s*$"
)
_EXTRA_SET = re.compile(rf"\bset\s*\(\s*{_STRING}\s*,\s*{_STRING}\s*\)")
_INTERPOLATION = re.compile(r"\$\{?([A-Za-z_][\w.]*)\}?")
_NOT_CONFIGURATIONS = frozenset(
    {
        "exclude",
        "because",
        "force",
        "transitive",
        "version",
        "strictly",
        "require",
        "prefer",
        "reject",
        "attributes",
        "capabilities",
        "if",
        "for",
        "def",
        "val",
        "var",
        "return",
        "println",
        "apply",
    }
)


def _first(match: re.Match[str], *groups: int) -> str | None:
    for group in groups:
        if match.group(group) is not None:
            return match.group(group)
    return None


def _configuration_type(configuration: str) -> DependencyType:
    lowered = configuration.lower()
    if lowered.startswith("test") or "testimplementation" in lowered or lowered.endswith("test"):
        return DependencyType.DEVELOPMENT
    if lowered == "classpath" or lowered in ("annotationprocessor", "kapt", "ksp"):
        return DependencyType.BUILD
    if lowered in ("compileonly", "compileonlyapi"):
        return DependencyType.PROVIDED
    return DependencyType.RUNTIME


def _blocks(text: str, keyword: str) -> list[tuple[int, str]]:
    """(offset, body) of each `keyword { ... }` block, braces matched outside strings."""
    found: list[tuple[int, str]] = []
    for match in re.finditer(rf"\b{keyword}\s*\{{", text):
        depth = 1
        position = match.end()
        quote = ""
        while position < len(text) and depth:
            char = text[position]
            if quote:
                if char == "\\":
                    position += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            position += 1
        found.append((match.end(), text[match.end() : position - 1]))
    return found


def _arguments(body: str, start: int) -> str:
    """The argument text of a statement: a balanced parenthesis group, or the rest of the line."""
    if start < len(body) and body[start] == "(":
        depth = 0
        for position in range(start, len(body)):
            if body[position] == "(":
                depth += 1
            elif body[position] == ")":
                depth -= 1
                if depth == 0:
                    return body[start + 1 : position]
        return body[start + 1 :]
    end = body.find("\n", start)
    return body[start : end if end != -1 else len(body)]


def parse_build_gradle(data: bytes, path: str) -> ManifestResult:
    text = decode(data, path)
    # Block comments would otherwise hide or invent dependencies; line comments are stripped
    # per line below, keeping URLs such as "https://..." inside strings intact.
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    text = re.sub(r"(?m)(^|[ \t])//.*$", r"\1", text)
    variables = {
        m.group(1).removeprefix("ext."): _first(m, 2, 3) or "" for m in _ASSIGNMENT.finditer(text)
    }
    variables.update(
        {_first(m, 1, 2) or "": _first(m, 3, 4) or "" for m in _EXTRA_SET.finditer(text)}
    )
    lines = LineIndex(text)
    deps = Collector(path, Ecosystem.MAVEN)
    for offset, body in _blocks(text, "dependencies"):
        for statement in _STATEMENT.finditer(body):
            configuration = statement.group(1)
            if configuration in _NOT_CONFIGURATIONS or configuration == "dependencies":
                continue
            arguments = _arguments(body, statement.end())
            line = lines.line(offset + statement.start())
            _add_statement(deps, configuration, arguments, variables, line)
    return deps.result("build.gradle")


def _add_statement(
    deps: Collector, configuration: str, arguments: str, variables: dict[str, str], line: int
) -> None:
    dep_type = _configuration_type(configuration)
    platforms = {_first(m, 2, 3) for m in _PLATFORM.finditer(arguments)}
    for match in _MAP_NOTATION.finditer(arguments):
        group, name, version = _first(match, 1, 2), _first(match, 3, 4), _first(match, 5, 6)
        _add(deps, f"{group}:{name}", version, dep_type, variables, line)
    for match in _KOTLIN_MODULE.finditer(arguments):
        module = _first(match, 1, 2)
        _add(
            deps,
            f"org.jetbrains.kotlin:kotlin-{module}",
            _first(match, 3, 4),
            dep_type,
            variables,
            line,
        )
    without_kotlin = _KOTLIN_MODULE.sub("", _MAP_NOTATION.sub("", arguments))
    for match in _COORDINATE.finditer(without_kotlin):
        notation = _first(match, 1, 2) or ""
        parts = notation.split("@", 1)[0].split(":")
        if len(parts) < 2 or not parts[0] or not parts[1] or " " in notation:
            continue
        version = parts[2] if len(parts) > 2 and parts[2] else None
        coordinate_type = DependencyType.MANAGED if notation in platforms else dep_type
        _add(deps, f"{parts[0]}:{parts[1]}", version, coordinate_type, variables, line)


def _add(
    deps: Collector,
    name: str,
    requirement: str | None,
    dep_type: DependencyType,
    variables: dict[str, str],
    line: int,
) -> None:
    version = None
    if requirement:
        version = _INTERPOLATION.sub(lambda m: variables.get(m.group(1), m.group(0)), requirement)
        if "$" in version or any(c in version for c in "[]()+,"):
            version = None
    deps.add(name, requirement=requirement, version=version, type=dep_type, direct=True, line=line)


def parse_gradle_lockfile(data: bytes, path: str) -> ManifestResult:
    deps = Collector(path, Ecosystem.MAVEN)
    for number, raw in enumerate(decode(data, path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("empty="):
            continue
        coordinate, _, configurations = line.partition("=")
        parts = coordinate.split(":")
        if len(parts) != 3 or not all(parts):
            continue  # Gradle ignores lines it cannot read as group:name:version
        names = [c for c in configurations.split(",") if c]
        if names and all(c.lower().startswith("test") for c in names):
            dep_type = DependencyType.DEVELOPMENT
        elif names and all(c.lower() in ("classpath", "buildscript") for c in names):
            dep_type = DependencyType.BUILD
        else:
            dep_type = DependencyType.RUNTIME
        deps.add(f"{parts[0]}:{parts[1]}", version=parts[2], type=dep_type, line=number)
    return deps.result("gradle.lockfile")


def _catalog_version(value: Any, versions: dict[str, Any]) -> str | None:
    if isinstance(value, str):
        return value
    table = mapping(value)
    if "ref" in table:
        return _catalog_version(versions.get(str(table["ref"])), versions)
    for key in ("strictly", "require", "prefer"):
        if key in table:
            return text_or_none(table[key])
    return None


def parse_version_catalog(data: bytes, path: str) -> ManifestResult:
    document = load_toml(data, path)
    versions = mapping(document.get("versions"))
    deps = Collector(path, Ecosystem.MAVEN)
    for raw in mapping(document.get("libraries")).values():
        if isinstance(raw, str):
            parts = raw.split(":")
            if len(parts) >= 2:
                version = parts[2] if len(parts) > 2 else None
                deps.add(
                    f"{parts[0]}:{parts[1]}", requirement=version, version=version, direct=True
                )
            continue
        entry = mapping(raw)
        module = text_or_none(entry.get("module"))
        if module is None and entry.get("group") and entry.get("name"):
            module = f"{entry['group']}:{entry['name']}"
        if module is None or ":" not in module:
            continue
        # TOML reads `version.ref = "x"` as the table {"ref": "x"}.
        version = _catalog_version(entry.get("version"), versions)
        deps.add(module, requirement=version, version=version, direct=True)
    return deps.result("libs.versions.toml")


def parse_verification_metadata(data: bytes, path: str) -> ManifestResult:
    root = load_xml(data, path)
    if local_name(root) != "verification-metadata":
        raise ManifestParseError(path, f"not Gradle verification metadata: <{local_name(root)}>")
    deps = Collector(path, Ecosystem.MAVEN)
    for components in children(root, "components"):
        for component in children(components, "component"):
            group, name = component.get("group"), component.get("name")
            if group and name:
                deps.add(f"{group}:{name}", version=component.get("version"))
    return deps.result("verification-metadata.xml")
