"""Manifest use cases: parse one file, or scan a checkout and parse every manifest in it."""

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from app.manifests import (
    DEFAULT_MAX_BYTES,
    DEFAULT_VIA_LIMIT,
    Dependency,
    ManifestParseError,
    ManifestResult,
    detect,
    parse,
)

# Folders that hold installed or generated copies of other projects, not this project's own
# declarations; virtualenvs are also recognized by their pyvenv.cfg.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".bundle",
        ".yarn",
        ".pnpm-store",
        ".gradle",
        ".idea",
        ".terraform",
    }
)
_MAX_INCLUDE_DEPTH = 10


@dataclass(frozen=True, slots=True)
class FileError:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    root: str
    results: tuple[ManifestResult, ...]
    errors: tuple[FileError, ...]


class ManifestService:
    def __init__(
        self, max_bytes: int = DEFAULT_MAX_BYTES, via_limit: int = DEFAULT_VIA_LIMIT
    ) -> None:
        self.max_bytes = max_bytes
        self.via_limit = via_limit

    def parse_bytes(self, data: bytes, filename: str, *, path: str | None = None) -> ManifestResult:
        return parse(data, filename, path=path, max_bytes=self.max_bytes, via_limit=self.via_limit)

    def parse_file(self, file: Path, filename: str | None = None) -> ManifestResult:
        """Parse one file; requirements includes are followed within the file's own folder.

        Raises ManifestParseError for an unreadable, oversized or malformed file.
        """
        data = self._read(file, str(file))
        result = self.parse_bytes(data, filename or file.name, path=str(file))
        return self._resolve_includes(result, file, file.resolve().parent, frozenset())

    def scan(self, root: Path) -> ScanResult:
        """Parse every recognized manifest under `root`; a bad file is listed, never fatal."""
        base = root.resolve()
        results: list[ManifestResult] = []
        errors: list[FileError] = []
        for file in _walk(base):
            relative = file.relative_to(base).as_posix()
            try:
                data = self._read(file, relative)
                result = self.parse_bytes(data, file.name, path=relative)
                results.append(self._resolve_includes(result, file, base, frozenset()))
            except ManifestParseError as exc:
                errors.append(FileError(relative, exc.reason))
        return ScanResult(str(root), tuple(results), tuple(errors))

    def _read(self, file: Path, label: str) -> bytes:
        try:
            size = file.stat().st_size
            if size > self.max_bytes:
                raise ManifestParseError(
                    label, f"file is {size} bytes, over the {self.max_bytes} limit"
                )
            with file.open("rb") as handle:
                # Read one byte past the limit so a file that grew after stat is still refused.
                data = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise ManifestParseError(label, "no such file") from None
        except IsADirectoryError:
            raise ManifestParseError(label, "is a directory") from None
        except OSError as exc:
            raise ManifestParseError(label, exc.strerror or "cannot be read") from None
        return data

    def _resolve_includes(
        self, result: ManifestResult, file: Path, tree: Path, ancestors: frozenset[Path]
    ) -> ManifestResult:
        """Fold `-r` files' dependencies in and apply `-c` pins, staying inside `tree`."""
        if not result.includes:
            return result
        dependencies = list(result.dependencies)
        problems = list(result.problems)
        pins: dict[str, str] = {}
        for include in result.includes:
            target = (file.parent / include.target).resolve()
            label = _label(target, tree)
            if not target.is_relative_to(tree):
                problems.append(
                    f"line {include.line}: include {include.target!r} is outside the tree"
                )
                continue
            chain = ancestors | {file.resolve()}
            if target in chain:
                problems.append(f"line {include.line}: include {include.target!r} is a cycle")
                continue
            if len(chain) > _MAX_INCLUDE_DEPTH:
                problems.append(f"line {include.line}: includes nested too deeply")
                continue
            try:
                data = self._read(target, label)
                included = parse(data, "requirements.txt", path=label, max_bytes=self.max_bytes)
                included = self._resolve_includes(included, target, tree, chain)
            except ManifestParseError as exc:
                problems.append(f"line {include.line}: include {include.target!r}: {exc.reason}")
                continue
            if include.constraint:
                pins.update(_pins(included.dependencies))
            else:
                dependencies.extend(included.dependencies)
                problems.extend(included.problems)
        if pins:
            dependencies = [_pinned(dep, pins) for dep in dependencies]
        return dataclasses.replace(
            result, dependencies=tuple(dependencies), includes=(), problems=tuple(problems)
        )


def _walk(base: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(base):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if d not in SKIPPED_DIRS and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            file = here / name
            if detect(name) is None:
                continue
            # A symlink may point anywhere on the machine; only files inside the tree are read.
            if file.is_symlink() and not file.resolve().is_relative_to(base):
                continue
            found.append(file)
    return found


def _label(target: Path, tree: Path) -> str:
    return target.relative_to(tree).as_posix() if target.is_relative_to(tree) else str(target)


def _pins(dependencies: tuple[Dependency, ...]) -> dict[str, str]:
    return {
        dep.name: dep.requirement.removeprefix("==")
        for dep in dependencies
        if dep.requirement and dep.requirement.startswith("==") and "," not in dep.requirement
    }


def _pinned(dependency: Dependency, pins: dict[str, str]) -> Dependency:
    if dependency.version is None and dependency.name in pins:
        return dataclasses.replace(dependency, version=pins[dependency.name])
    return dependency
