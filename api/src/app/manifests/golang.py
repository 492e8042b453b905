"""Go modules: go.mod (require, replace, exclude) and go.sum."""

import re

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, decode
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_DIRECTIVES = frozenset(
    {
        "module",
        "go",
        "toolchain",
        "godebug",
        "require",
        "replace",
        "exclude",
        "retract",
        "tool",
        "ignore",
    }
)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|=>|\S+')


def _tokens(text: str) -> list[str]:
    return [t[1:-1] if t[0] in '"`' else t for t in _TOKEN.findall(text)]


def _statements(text: str, path: str) -> list[tuple[str, list[str], str, int]]:
    """(directive, arguments, trailing comment, line) for each go.mod statement, blocks unrolled."""
    statements: list[tuple[str, list[str], str, int]] = []
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        code, _, comment = raw.partition("//")
        words = _tokens(code)
        if not words:
            continue
        if block is not None:
            if words == [")"]:
                block = None
            else:
                statements.append((block, words, comment.strip(), number))
            continue
        directive = words[0]
        if directive not in _DIRECTIVES:
            raise ManifestParseError(path, f"line {number}: unknown directive {directive!r}")
        if words[1:] == ["("]:
            block = directive
        elif words[1:] != ["(", ")"]:
            statements.append((directive, words[1:], comment.strip(), number))
    if block is not None:
        raise ManifestParseError(path, f"unterminated {block} block")
    return statements


def parse_go_mod(data: bytes, path: str) -> ManifestResult:
    statements = _statements(decode(data, path), path)
    deps = Collector(path, Ecosystem.GO)
    module: str | None = None
    # `old [version] => new [version]`; a version-less left side replaces every version.
    replacements: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for directive, args, _, number in statements:
        if directive == "module" and args:
            module = args[0]
        elif directive == "replace":
            if "=>" not in args:
                raise ManifestParseError(path, f"line {number}: replace without =>")
            arrow = args.index("=>")
            old, new = args[:arrow], args[arrow + 1 :]
            if not old or not new:
                raise ManifestParseError(path, f"line {number}: incomplete replace")
            replacements[(old[0], old[1] if len(old) > 1 else None)] = (
                new[0],
                new[1] if len(new) > 1 else None,
            )
    for directive, args, comment, number in statements:
        if directive == "require":
            if len(args) < 2:
                raise ManifestParseError(path, f"line {number}: require needs a module and version")
            name, version = args[0], args[1]
            target = replacements.get((name, version)) or replacements.get((name, None))
            if target is not None:
                new_name, new_version = target
                # A replacement by a local directory is the project's own code, not a module.
                if new_version is None:
                    continue
                name, version = new_name, new_version
            direct = not re.search(r"(^|;)\s*indirect\s*(;|$)", comment)
            deps.add(
                name,
                requirement=version,
                version=version,
                type=DependencyType.RUNTIME,
                direct=direct,
                line=number,
            )
        elif directive == "exclude" and len(args) >= 2:
            deps.add(
                args[0],
                requirement=args[1],
                type=DependencyType.EXCLUDED,
                direct=True,
                line=number,
            )
    return deps.result("go.mod", deps.root(module))


def parse_go_sum(data: bytes, path: str) -> ManifestResult:
    deps = Collector(path, Ecosystem.GO)
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(decode(data, path).splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        if len(words) != 3 or not words[2].startswith("h"):
            raise ManifestParseError(path, f"line {number}: not a go.sum line")
        name, version = words[0], words[1].removesuffix("/go.mod")
        if (name, version) not in seen:
            seen.add((name, version))
            deps.add(name, version=version, line=number)
    return deps.result("go.sum")
