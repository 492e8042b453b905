"""Malformed, hostile or mislabelled input ends in a ManifestParseError naming the file."""

import pytest

from app.manifests import ManifestParseError, parse

INVALID_UTF8 = b"\xff\xfe\xfa broken \x80"
TRUNCATED = {
    "package.json": b'{"dependencies": {"a": "1',
    "package-lock.json": b'{"lockfileVersion": 3, "packages": {',
    "composer.lock": b'{"packages": [',
    "packages.lock.json": b'{"dependencies": {"net8.0": ',
    "bom.cdx.json": b'{"bomFormat": "CycloneDX", "components": [',
    "pyproject.toml": b'[project]\ndependencies = ["a",',
    "Cargo.toml": b"[dependencies\nserde = ",
    "poetry.lock": b'[[package]]\nname = "a',
    "uv.lock": b"[[package]\n",
    "pnpm-lock.yaml": b"lockfileVersion: '9.0'\nimporters:\n  .: {dependencies: [",
    "yarn.lock": b'__metadata:\n  version: 8\n"a@npm:1":\n  version: [',
    "pom.xml": b"<project><dependencies><dependency>",
    "App.csproj": b"<Project><ItemGroup>",
    "packages.config": b"<packages><package id=",
    "A.nuspec": b"<package><metadata>",
    "verification-metadata.xml": b"<verification-metadata><components>",
    "go.mod": b"module a\nrequire (\n\tb v1.0.0\n",
}
WRONG_FILE = {
    "package.json": b'["not", "an", "object"]',
    "package-lock.json": b'{"name": "no lockfile version"}',
    "composer.lock": b'{"name": "a/b"}',
    "Pipfile.lock": b'{"_meta": {}}',
    "pnpm-lock.yaml": b"just: a mapping\n",
    "yarn.lock": b'{"dependencies": {}}',
    "go.mod": b'{"module": "a"}',
    "go.sum": b"this is not a checksum file\n",
    "Gemfile.lock": b"nothing that bundler writes\n",
    "a.gemspec": b"puts 'hello'\n",
    "requirements.txt": b"<html><body>404</body></html>\n",
    "pom.xml": b"<packages><package id='a'/></packages>",
    "App.csproj": b"<project><dependencies/></project>",
    "packages.config": b"<Project/>",
    "A.nuspec": b"<project/>",
    "bom.cdx.json": b'{"hello": "world"}',
    "setup.cfg": b"no section header here\n",
}
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<project><dependencies><dependency><groupId>&secret;</groupId><artifactId>a</artifactId>
</dependency></dependencies></project>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<packages><package id="&lol3;" version="1.0"/></packages>"""
XML_FILES = ["pom.xml", "App.csproj", "packages.config", "A.nuspec", "verification-metadata.xml"]
ALL_FILES = sorted({*TRUNCATED, *WRONG_FILE, "Gemfile", "build.gradle", "requirements.txt"})


@pytest.mark.parametrize("filename", ALL_FILES)
def test_invalid_utf8_is_a_parse_error_naming_the_file(filename: str) -> None:
    with pytest.raises(ManifestParseError) as caught:
        parse(INVALID_UTF8, filename, path=f"repo/{filename}")
    assert caught.value.path == f"repo/{filename}"
    assert str(caught.value).startswith(f"repo/{filename}: ")


@pytest.mark.parametrize(("filename", "data"), sorted(TRUNCATED.items()))
def test_truncated_documents_are_parse_errors(filename: str, data: bytes) -> None:
    with pytest.raises(ManifestParseError, match=filename.replace(".", r"\.")):
        parse(data, filename)


@pytest.mark.parametrize(("filename", "data"), sorted(WRONG_FILE.items()))
def test_a_different_document_under_a_manifest_name_is_a_parse_error(
    filename: str, data: bytes
) -> None:
    with pytest.raises(ManifestParseError) as caught:
        parse(data, filename)
    assert caught.value.reason


@pytest.mark.parametrize("filename", XML_FILES)
@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_entities_are_refused(filename: str, payload: bytes) -> None:
    with pytest.raises(ManifestParseError, match="unsafe XML refused"):
        parse(payload, filename)


def test_yaml_alias_bombs_stay_bounded() -> None:
    bomb = b"lockfileVersion: '9.0'\na: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n".encode()
        for i in range(20)
    )
    result = parse(bomb, "pnpm-lock.yaml")
    assert result.dependencies == ()


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(ManifestParseError, match="over the 1048576 limit"):
        parse(b" " * (1024 * 1024 + 1), "package.json", max_bytes=1024 * 1024)


def test_deeply_nested_json_is_a_parse_error() -> None:
    with pytest.raises(ManifestParseError, match="invalid JSON"):
        parse(b"[" * 100_000 + b"]" * 100_000, "composer.json")
