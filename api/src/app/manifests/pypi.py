"""PyPI manifests: requirements files, pyproject.toml, setup.cfg and Pipfile."""

import configparser
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, decode, load_toml, mapping, text_or_none
from app.manifests.model import DependencyType, Include, ManifestParseError, ManifestResult

# pip reads a comment from a `#` at the start of a line or after whitespace only.
_COMMENT = re.compile(r"(^|\s)#.*$")
# Per-requirement options (--hash, --config-settings, -C, ...) end the requirement itself.
_OPTIONS = re.compile(r"\s+--?[A-Za-z]")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^-\s]))(\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(\S+)")
_LENIENT = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:===|==|~=|!=|<=|>=|<|>)\s*\S.*)$"
)
_DEV_FILE = re.compile(
    r"(?:^|[-_.])(?:dev|develop|development|test|tests|testing|lint|docs?|ci)(?:[-_.]|$)"
)
_URL_START = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|\.{0,2}/|file:)", re.I)
_ARCHIVE = r"\.(?:whl|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar|zip)"
# pip installs a line as a file or folder when its first word holds a path separator or names an
# archive; PEP 508 `name @ url` lines name their package before the `@`.
_PATH_LIKE = re.compile(rf"^[\w.~:%+=-]*(?:[/\\][\w.~:%+=/\\-]*|{_ARCHIVE})(?:$|[\s;#])", re.I)
_WHEEL = re.compile(r"^([^-]+)-([^-]+)-.+\.whl$", re.I)
_SDIST = re.compile(rf"^(.+?)-(\d[^-]*?){_ARCHIVE}$", re.I)


def parse_requirement(text: str) -> tuple[str, str | None, str | None] | None:
    """(name, specifier or URL, pinned version) of a PEP 508 string, or None if unreadable."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    if requirement.url:
        return requirement.name, requirement.url, None
    specifier = str(requirement.specifier) or None
    return requirement.name, specifier, _pinned_version(specifier)


def _pinned_version(specifier: str | None) -> str | None:
    if specifier and specifier.startswith("==") and "," not in specifier and "*" not in specifier:
        return specifier.removeprefix("==").removeprefix("=").strip()
    return None


def _is_dev_file(path: str) -> bool:
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    return bool(_DEV_FILE.search(name.removesuffix(".txt").removesuffix(".in")))


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Requirement lines with comments removed and backslash continuations joined."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def parse_requirements_txt(data: bytes, path: str) -> ManifestResult:
    text = decode(data, path)
    if "\x00" in text:
        raise ManifestParseError(path, "not a requirements file: contains NUL bytes")
    deps = Collector(path, Ecosystem.PYPI)
    dep_type = DependencyType.DEVELOPMENT if _is_dev_file(path) else DependencyType.RUNTIME
    includes: list[Include] = []
    for number, line in _logical_lines(text):
        if not line:
            continue
        if include := _INCLUDE.match(line):
            constraint = include.group(1) in ("-c", "--constraint")
            includes.append(Include(include.group(2), constraint, number))
            continue
        if editable := _EDITABLE.match(line):
            _add_url(deps, f"--editable {editable.group(1)}", editable.group(1), dep_type, number)
            continue
        if line.startswith("-"):
            continue  # index, find-links and other global options
        line = _OPTIONS.split(line, maxsplit=1)[0]
        if _URL_START.match(line) or _PATH_LIKE.match(line):
            _add_url(deps, line, line, dep_type, number)
            continue
        parsed = parse_requirement(line)
        if parsed is None:
            lenient = _LENIENT.match(line.split(";", 1)[0].strip())
            if lenient is None:
                deps.problems.append(f"line {number}: unreadable requirement {line!r}")
                continue
            parsed = (lenient.group(1), lenient.group(2), None)
            deps.problems.append(f"line {number}: malformed requirement {line!r} read leniently")
        name, requirement, version = parsed
        deps.add(
            name, requirement=requirement, version=version, type=dep_type, direct=True, line=number
        )
    if deps.problems and not deps.dependencies and not includes:
        raise ManifestParseError(path, f"not a requirements file: {deps.problems[0]}")
    return deps.result("requirements.txt", includes=tuple(includes))


def _add_url(
    deps: Collector, requirement: str, url: str, dep_type: DependencyType, line: int
) -> None:
    # A URL or path names its package through `#egg=` or an archive's file name; a folder
    # without either (`-e .`, `./libs/tool`) is the project's own code, not a published package.
    name, version = _named_by_url(url)
    if name:
        deps.add(
            name, requirement=requirement, version=version, type=dep_type, direct=True, line=line
        )


def _named_by_url(url: str) -> tuple[str | None, str | None]:
    """(name, version) a requirement URL or path stands for, from `#egg=` or the archive name."""
    if egg := _EGG.search(url):
        return egg.group(1), None
    location = url.split(";", 1)[0].strip().split("#", 1)[0].split("?", 1)[0]
    filename = re.split(r"[/\\]", location)[-1]
    archive = _WHEEL.match(filename) or _SDIST.match(filename)
    if archive is None:
        return None, None
    return archive.group(1), archive.group(2)


def _add_pep508(
    deps: Collector,
    values: Any,
    dep_type: DependencyType,
    project: str | None,
) -> None:
    if not isinstance(values, list):
        return
    for value in values:
        if not isinstance(value, str):
            continue  # PEP 735 {include-group = ...}: that group is reported on its own
        parsed = parse_requirement(value)
        if parsed is None:
            deps.problems.append(f"unreadable requirement {value!r}")
            continue
        name, requirement, version = parsed
        # `project[extra]` inside the project's own extras refers back to itself.
        if project and canonicalize_name(name) == project:
            continue
        deps.add(name, requirement=requirement, version=version, type=dep_type, direct=True)


def parse_pyproject(data: bytes, path: str) -> ManifestResult:
    document = load_toml(data, path)
    deps = Collector(path, Ecosystem.PYPI)
    project = mapping(document.get("project"))
    tool = mapping(document.get("tool"))
    poetry = mapping(tool.get("poetry"))
    name = text_or_none(project.get("name")) or text_or_none(poetry.get("name"))
    own = canonicalize_name(name) if name else None

    _add_pep508(deps, project.get("dependencies"), DependencyType.RUNTIME, own)
    for extra in mapping(project.get("optional-dependencies")).values():
        _add_pep508(deps, extra, DependencyType.OPTIONAL, own)
    for group in mapping(document.get("dependency-groups")).values():
        _add_pep508(deps, group, DependencyType.DEVELOPMENT, own)

    _add_poetry(deps, poetry, own)
    uv = mapping(tool.get("uv"))
    _add_pep508(deps, uv.get("dev-dependencies"), DependencyType.DEVELOPMENT, own)
    _add_pep508(deps, uv.get("override-dependencies"), DependencyType.OVERRIDE, own)
    for group in mapping(mapping(tool.get("pdm")).get("dev-dependencies")).values():
        _add_pep508(deps, group, DependencyType.DEVELOPMENT, own)
    _add_pep508(
        deps, mapping(document.get("build-system")).get("requires"), DependencyType.BUILD, own
    )

    version = text_or_none(project.get("version")) or text_or_none(poetry.get("version"))
    return deps.result("pyproject.toml", deps.root(name, version))


def _add_poetry(deps: Collector, poetry: dict[str, Any], own: str | None) -> None:
    tables: list[tuple[Any, DependencyType]] = [
        (poetry.get("dependencies"), DependencyType.RUNTIME),
        (poetry.get("dev-dependencies"), DependencyType.DEVELOPMENT),
    ]
    for group in mapping(poetry.get("group")).values():
        tables.append((mapping(group).get("dependencies"), DependencyType.DEVELOPMENT))
    for table, group_type in tables:
        for name, value in mapping(table).items():
            if name.lower() == "python" or canonicalize_name(name) == own:
                continue
            requirement, optional = _poetry_constraint(value)
            dep_type = DependencyType.OPTIONAL if optional else group_type
            deps.add(
                name,
                requirement=requirement,
                version=_pinned_version(requirement),
                type=dep_type,
                direct=True,
            )


def _poetry_constraint(value: Any) -> tuple[str | None, bool]:
    """The declared constraint (version, or git/url source) and whether it is optional."""
    if isinstance(value, list):
        constraints = [_poetry_constraint(item) for item in value]
        versions = [c for c, _ in constraints if c]
        return (" || ".join(versions) or None), any(o for _, o in constraints)
    if isinstance(value, dict):
        requirement = (
            text_or_none(value.get("version"))
            or text_or_none(value.get("git"))
            or text_or_none(value.get("url"))
            or text_or_none(value.get("path"))
        )
        return requirement, bool(value.get("optional"))
    return text_or_none(value), False


def parse_setup_cfg(data: bytes, path: str) -> ManifestResult:
    text = decode(data, path)
    config = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        config.read_string(text)
    except configparser.Error as exc:
        reason = str(exc).splitlines()[0]
        raise ManifestParseError(path, f"invalid setup.cfg: {reason}") from None
    deps = Collector(path, Ecosystem.PYPI)
    name = config.get("metadata", "name", fallback=None)
    own = canonicalize_name(name) if name else None
    options = [
        ("install_requires", DependencyType.RUNTIME),
        ("setup_requires", DependencyType.BUILD),
        ("tests_require", DependencyType.DEVELOPMENT),
    ]
    for option, dep_type in options:
        _add_pep508(deps, _cfg_list(config.get("options", option, fallback="")), dep_type, own)
    if config.has_section("options.extras_require"):
        for _, value in config.items("options.extras_require"):
            _add_pep508(deps, _cfg_list(value), DependencyType.OPTIONAL, own)
    version = config.get("metadata", "version", fallback=None)
    # `attr:` and `file:` versions are computed by setuptools at build time.
    if version and version.strip().startswith(("attr:", "file:")):
        version = None
    return deps.result("setup.cfg", deps.root(name, version))


def _cfg_list(value: str) -> list[str]:
    if value.strip().startswith("file:"):
        return []
    lines = (_COMMENT.sub("", line).strip() for line in value.splitlines())
    return [line for line in lines if line]


def parse_pipfile(data: bytes, path: str) -> ManifestResult:
    document = load_toml(data, path)
    deps = Collector(path, Ecosystem.PYPI)
    for section, dep_type in (
        ("packages", DependencyType.RUNTIME),
        ("dev-packages", DependencyType.DEVELOPMENT),
    ):
        for name, value in mapping(document.get(section)).items():
            if isinstance(value, dict):
                requirement = (
                    text_or_none(value.get("version"))
                    or text_or_none(value.get("git"))
                    or text_or_none(value.get("file"))
                    or text_or_none(value.get("path"))
                )
            else:
                requirement = text_or_none(value)
            if requirement == "*":
                requirement = None
            deps.add(
                name,
                requirement=requirement,
                version=_pinned_version(requirement),
                type=dep_type,
                direct=True,
            )
    return deps.result("Pipfile")
