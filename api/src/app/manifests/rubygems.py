"""RubyGems: Gemfile, Gemfile.lock and *.gemspec, read as text (Ruby is never evaluated)."""

import re

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, decode
from app.manifests.graph import DEFAULT_VIA_LIMIT, Root, walk
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_STRING = re.compile(r"""(['"])((?:\\.|(?!\1).)*)\1|%q([<{(\[])(.*?)[>})\]]""")
_OPTION = re.compile(r"""(?:\b([a-z_]+):(?!:)|:([a-z_]+)\s*=>)""")
_SYMBOL = re.compile(r":([A-Za-z_]\w*)|['\"]([A-Za-z_]\w*)['\"]")
_DEV_GROUPS = frozenset({"development", "dev", "test", "tests", "ci", "lint", "rubocop"})
_GEMSPEC_DEPENDENCY = re.compile(r"\.add_(runtime_|development_)?dependency\b\s*\(?(.*)$")
_GEMSPEC_FIELD = re.compile(r"^\s*\w+\.(name|version)\s*=\s*(.*)$")
_LOCK_SPEC = re.compile(r"^    (\S+) \(([^)]+)\)$")
_LOCK_DEPENDENCY = re.compile(r"^  ([^\s!]+)!?(?: \(([^)]+)\))?$")


def _strings(text: str) -> list[str]:
    return [m.group(2) if m.group(1) else m.group(4) for m in _STRING.finditer(text)]


def _leading_strings(text: str) -> tuple[list[str], str]:
    """The string arguments before the first keyword option, and the options text."""
    # Blank out string contents first so a colon inside a string is not read as an option.
    blanked = _STRING.sub(lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', text)
    option = _OPTION.search(blanked)
    head, tail = (text[: option.start()], text[option.start() :]) if option else (text, "")
    return _strings(head), tail


def _requirement(values: list[str]) -> str | None:
    return ", ".join(v.strip() for v in values if v.strip()) or None


def parse_gemfile(data: bytes, path: str) -> ManifestResult:
    text = decode(data, path)
    deps = Collector(path, Ecosystem.RUBYGEMS)
    # One entry per open `do` block: the groups it sets, or None for other blocks.
    blocks: list[frozenset[str] | None] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"\s#.*$|^#.*$", "", raw).strip()
        if not line:
            continue
        if re.match(r"^end\b", line):
            if blocks:
                blocks.pop()
            continue
        opens_block = bool(re.search(r"\bdo(\s*\|[^|]*\|)?$", line))
        if match := re.match(r"^group\b\s*\(?(.*?)\)?\s*do\b", line):
            blocks.append(_symbols(match.group(1)))
            continue
        if match := re.match(r"^gem\b\s*\(?\s*(.*)$", line):
            strings, options = _leading_strings(match.group(1))
            if not strings:
                deps.problems.append(f"line {number}: gem without a literal name")
                continue
            groups = set().union(*(b for b in blocks if b))
            if group_option := re.search(
                r"\bgroups?:\s*(\[[^\]]*\]|\S+)|:groups?\s*=>\s*(\[[^\]]*\]|\S+)", options
            ):
                groups |= _symbols(group_option.group(1) or group_option.group(2))
            dep_type = (
                DependencyType.DEVELOPMENT
                if groups and groups <= _DEV_GROUPS
                else DependencyType.RUNTIME
            )
            deps.add(
                strings[0],
                requirement=_requirement(strings[1:]),
                type=dep_type,
                direct=True,
                line=number,
            )
        if opens_block:
            blocks.append(None)
    return deps.result("Gemfile")


def _symbols(text: str) -> frozenset[str]:
    return frozenset(a or b for a, b in _SYMBOL.findall(text))


def parse_gemspec(data: bytes, path: str) -> ManifestResult:
    text = decode(data, path)
    deps = Collector(path, Ecosystem.RUBYGEMS)
    fields: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"^\s*#.*$", "", raw)
        if match := _GEMSPEC_FIELD.match(line):
            values = _strings(match.group(2).split("#", 1)[0])
            if values and match.group(1) not in fields:
                fields[match.group(1)] = values[0]
            continue
        if match := _GEMSPEC_DEPENDENCY.search(line):
            values = _strings(match.group(2).replace(".freeze", ""))
            if not values:
                continue
            kind = match.group(1)
            dep_type = (
                DependencyType.DEVELOPMENT if kind == "development_" else DependencyType.RUNTIME
            )
            deps.add(
                values[0],
                requirement=_requirement(values[1:]),
                type=dep_type,
                direct=True,
                line=number,
            )
    if "Gem::Specification" not in text and not deps.dependencies:
        raise ManifestParseError(path, "not a gemspec: no Gem::Specification")
    return deps.result("gemspec", deps.root(fields.get("name"), fields.get("version")))


def parse_gemfile_lock(
    data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT
) -> ManifestResult:
    """Locked gems; DEPENDENCIES and the project's own gemspec (`PATH` at `.`) are direct."""
    text = decode(data, path)
    sections: dict[str, list[tuple[str, str, int]]] = {}
    direct: dict[str, tuple[str | None, int]] = {}
    edges: dict[str, list[str]] = {}
    section = ""
    remote = ""
    spec: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not line[0].isspace():
            section = line.strip()
            remote = ""
            continue
        if section in ("GEM", "GIT", "PATH", "PLUGIN SOURCE"):
            if line.startswith("  remote:"):
                remote = line.partition(":")[2].strip()
            elif locked := _LOCK_SPEC.match(line):
                # Platform gems carry the platform after the version: 1.13.3-x86_64-linux.
                version = locked.group(2).split("-", 1)[0]
                key = "PATH ." if section == "PATH" and remote in (".", "./") else section
                sections.setdefault(key, []).append((locked.group(1), version, number))
                spec = locked.group(1)
                edges.setdefault(spec, [])
            elif spec is not None and line.startswith("      ") and line[6:7] != " ":
                edges[spec].append(line.split()[0])
        elif section == "DEPENDENCIES" and (declared := _LOCK_DEPENDENCY.match(line.rstrip())):
            direct[declared.group(1)] = (declared.group(2), number)
    if not sections and not direct:
        raise ManifestParseError(path, "not a Gemfile.lock: no GEM, GIT, PATH or DEPENDENCIES")
    own = sections.get("PATH .", [])
    own_names = {name for name, _, _ in own}
    # The project's gemspec requirements are declared by the project, like its Gemfile's.
    roots = {name: Root(name) for name in direct if name not in own_names}
    roots.update({name: Root(name) for gem in own_names for name in edges.get(gem, ())})
    walked = walk(edges, roots, via_limit)
    deps = Collector(path, Ecosystem.RUBYGEMS)
    seen: set[tuple[str, str]] = set()
    for key in ("PATH", "GIT", "GEM", "PLUGIN SOURCE"):
        for name, version, number in sections.get(key, []):
            if (name, version) not in seen:
                seen.add((name, version))
                deps.add(
                    name,
                    version=version,
                    direct=name in roots if direct else None,
                    line=number,
                    via=() if name in roots else walked.via(name),
                )
    locked_names = {name for specs in sections.values() for name, _, _ in specs}
    for name, (requirement, number) in direct.items():
        # Platform-specific gems (tzinfo-data on Windows) are declared but locked for no platform
        # of this lockfile: still a direct dependency, without a version.
        if name not in locked_names:
            deps.add(name, requirement=requirement, direct=True, line=number)
    root = deps.root(own[0][0], own[0][1]) if len(own) == 1 else None
    return deps.result("Gemfile.lock", root)
