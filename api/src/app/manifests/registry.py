"""Which parser reads which file name, and the one entry point that parses bytes safely."""

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from app.manifests import (
    cargo,
    golang,
    gradle,
    maven,
    npm,
    nuget,
    packagist,
    pypi,
    pypi_lock,
    rubygems,
    sbom,
)
from app.manifests.graph import DEFAULT_VIA_LIMIT
from app.manifests.model import ManifestParseError, ManifestResult

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Parser:
    """`walks_graph` parsers take the via limit as a third argument (lockfiles with a graph)."""

    format: str
    patterns: tuple[str, ...]
    parse: Callable[..., ManifestResult]
    walks_graph: bool = False


PARSERS: tuple[Parser, ...] = (
    Parser("package.json", ("package.json",), npm.parse_package_json),
    Parser(
        "package-lock.json",
        ("package-lock.json", "npm-shrinkwrap.json", ".package-lock.json"),
        npm.parse_package_lock,
        walks_graph=True,
    ),
    Parser("yarn.lock", ("yarn.lock",), npm.parse_yarn_lock, walks_graph=True),
    Parser(
        "pnpm-lock.yaml", ("pnpm-lock.yaml", "pnpm-lock.yml"), npm.parse_pnpm_lock, walks_graph=True
    ),
    Parser(
        "requirements.txt",
        ("*requirements*.txt", "*requirements*.in", "constraints*.txt"),
        pypi.parse_requirements_txt,
    ),
    Parser("pyproject.toml", ("pyproject.toml",), pypi.parse_pyproject),
    Parser("setup.cfg", ("setup.cfg",), pypi.parse_setup_cfg),
    Parser("Pipfile", ("Pipfile",), pypi.parse_pipfile),
    Parser("Pipfile.lock", ("Pipfile.lock",), pypi_lock.parse_pipfile_lock),
    Parser("poetry.lock", ("poetry.lock",), pypi_lock.parse_poetry_lock, walks_graph=True),
    Parser("uv.lock", ("uv.lock",), pypi_lock.parse_uv_lock, walks_graph=True),
    Parser("go.mod", ("go.mod",), golang.parse_go_mod),
    Parser("go.sum", ("go.sum",), golang.parse_go_sum),
    Parser("Cargo.toml", ("Cargo.toml",), cargo.parse_cargo_toml),
    Parser("Cargo.lock", ("Cargo.lock",), cargo.parse_cargo_lock, walks_graph=True),
    Parser("Gemfile", ("Gemfile", "gems.rb"), rubygems.parse_gemfile),
    Parser(
        "Gemfile.lock",
        ("Gemfile.lock", "gems.locked"),
        rubygems.parse_gemfile_lock,
        walks_graph=True,
    ),
    Parser("gemspec", ("*.gemspec",), rubygems.parse_gemspec),
    Parser("composer.json", ("composer.json",), packagist.parse_composer_json),
    Parser("composer.lock", ("composer.lock",), packagist.parse_composer_lock, walks_graph=True),
    Parser("pom.xml", ("pom.xml", "*.pom"), maven.parse_pom),
    Parser("build.gradle", ("build.gradle", "build.gradle.kts"), gradle.parse_build_gradle),
    Parser("gradle.lockfile", ("*gradle.lockfile",), gradle.parse_gradle_lockfile),
    Parser("libs.versions.toml", ("*.versions.toml",), gradle.parse_version_catalog),
    Parser(
        "verification-metadata.xml",
        ("verification-metadata.xml",),
        gradle.parse_verification_metadata,
    ),
    Parser(
        "msbuild",
        ("*.csproj", "*.fsproj", "*.vbproj", "Directory.Packages.props", "Directory.Build.props"),
        nuget.parse_msbuild,
    ),
    Parser("packages.config", ("packages.config",), nuget.parse_packages_config),
    Parser(
        "packages.lock.json", ("packages.lock.json",), nuget.parse_packages_lock, walks_graph=True
    ),
    Parser("nuspec", ("*.nuspec",), nuget.parse_nuspec),
    Parser(
        "sbom",
        ("*.spdx.json", "*.cdx.json", "bom.json", "*.bom.json", "sbom.json", "*.sbom.json"),
        sbom.parse_sbom,
    ),
)


def detect(path: str) -> Parser | None:
    """The parser for a file, chosen by its name (case-insensitively, globs allowed)."""
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    for parser in PARSERS:
        if any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in parser.patterns):
            return parser
    return None


def parse(
    data: bytes,
    filename: str,
    *,
    path: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    via_limit: int = DEFAULT_VIA_LIMIT,
) -> ManifestResult:
    """Parse `data` as the manifest named `filename`; `path` (default `filename`) is the evidence.

    `via_limit` caps how many direct dependencies a transitive package names as its `via`.

    Raises ManifestParseError for anything that is not a readable manifest of that kind.
    """
    evidence = path or filename
    parser = detect(filename)
    if parser is None:
        raise ManifestParseError(evidence, f"no parser for a file named {filename!r}")
    if len(data) > max_bytes:
        raise ManifestParseError(evidence, f"file is {len(data)} bytes, over the {max_bytes} limit")
    try:
        if parser.walks_graph:
            return parser.parse(data, evidence, via_limit)
        return parser.parse(data, evidence)
    except ManifestParseError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        # A file can be valid JSON/TOML/YAML/XML yet shaped unlike the format; whatever slips
        # past a parser's own checks is still that file's problem, never the caller's.
        raise ManifestParseError(evidence, f"unexpected content: {type(exc).__name__}") from exc
