"""Choosing a parser by file name, and the parse entry point's own checks."""

import pytest

from app.manifests import ManifestParseError, detect, parse


@pytest.mark.parametrize(
    ("path", "format"),
    [
        ("package.json", "package.json"),
        ("web/npm-shrinkwrap.json", "package-lock.json"),
        ("pnpm-lock.yaml", "pnpm-lock.yaml"),
        ("requirements.txt", "requirements.txt"),
        ("requirements-dev.txt", "requirements.txt"),
        ("dev-requirements.txt", "requirements.txt"),
        ("requirements.in", "requirements.txt"),
        ("src/App/App.csproj", "msbuild"),
        ("Lib.FSPROJ", "msbuild"),
        ("legacy.vbproj", "msbuild"),
        ("Directory.Packages.props", "msbuild"),
        ("widget.gemspec", "gemspec"),
        ("gems.locked", "Gemfile.lock"),
        ("buildscript-gradle.lockfile", "gradle.lockfile"),
        ("gradle/libs.versions.toml", "libs.versions.toml"),
        ("build.gradle.kts", "build.gradle"),
        ("commons-io-2.5.pom", "pom.xml"),
        ("Acme.Tools.nuspec", "nuspec"),
        ("image.spdx.json", "sbom"),
        ("app.cdx.json", "sbom"),
        ("C:\\src\\go.mod", "go.mod"),
    ],
)
def test_detect_recognizes_names_and_globs(path: str, format: str) -> None:
    parser = detect(path)
    assert parser is not None
    assert parser.format == format


@pytest.mark.parametrize(
    "path", ["README.md", "setup.py", "package.json5", "notes.txt", "Makefile"]
)
def test_detect_ignores_files_that_are_not_manifests(path: str) -> None:
    assert detect(path) is None


def test_parse_refuses_an_unknown_file_name_naming_it() -> None:
    with pytest.raises(ManifestParseError, match=r"notes\.md: no parser"):
        parse(b"", "notes.md")


def test_parse_refuses_a_file_over_the_size_limit() -> None:
    with pytest.raises(ManifestParseError, match="over the 10 limit") as caught:
        parse(b"x" * 11, "go.sum", path="deep/go.sum", max_bytes=10)
    assert caught.value.path == "deep/go.sum"


def test_parse_uses_the_evidence_path_on_every_dependency() -> None:
    result = parse(b"flask==3.0.0\n", "requirements.txt", path="svc/requirements.txt")
    assert [(d.path, d.line) for d in result.dependencies] == [("svc/requirements.txt", 1)]
