"""The ecosystem vocabulary, name normalization and purl conversion."""

import pytest

from app.core.ecosystems import (
    Ecosystem,
    InvalidPurl,
    PackageCoordinate,
    UnsupportedPurlType,
    from_purl,
    normalize_name,
    to_purl,
)


@pytest.mark.parametrize(
    ("ecosystem", "name", "expected"),
    [
        (Ecosystem.PYPI, "Zope.Interface", "zope-interface"),
        (Ecosystem.PYPI, "prompt_toolkit", "prompt-toolkit"),
        (Ecosystem.NUGET, "Newtonsoft.Json", "newtonsoft.json"),
        (Ecosystem.PACKAGIST, "Slim/Slim", "slim/slim"),
        (Ecosystem.NPM, "@Babel/Core", "@Babel/Core"),
        (Ecosystem.GO, "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
        (Ecosystem.MAVEN, " org.slf4j:slf4j-api ", "org.slf4j:slf4j-api"),
    ],
)
def test_normalize_name_follows_each_registry_rule(
    ecosystem: Ecosystem, name: str, expected: str
) -> None:
    assert normalize_name(ecosystem, name) == expected


@pytest.mark.parametrize(
    ("coordinate", "purl"),
    [
        (PackageCoordinate(Ecosystem.NPM, "@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0"),
        (
            PackageCoordinate(Ecosystem.MAVEN, "log4j:log4j", "1.2.15"),
            "pkg:maven/log4j/log4j@1.2.15",
        ),
        (
            PackageCoordinate(Ecosystem.GO, "github.com/pkg/errors", "v0.9.1"),
            "pkg:golang/github.com/pkg/errors@v0.9.1",
        ),
        (PackageCoordinate(Ecosystem.PACKAGIST, "slim/slim", None), "pkg:composer/slim/slim"),
        (PackageCoordinate(Ecosystem.RUBYGEMS, "rails", "7.1.0"), "pkg:gem/rails@7.1.0"),
        (PackageCoordinate(Ecosystem.CARGO, "serde", "1.0.0"), "pkg:cargo/serde@1.0.0"),
        (
            PackageCoordinate(Ecosystem.NUGET, "newtonsoft.json", "13.0.1"),
            "pkg:nuget/newtonsoft.json@13.0.1",
        ),
        (PackageCoordinate(Ecosystem.PYPI, "django", "5.0"), "pkg:pypi/django@5.0"),
    ],
)
def test_purls_round_trip(coordinate: PackageCoordinate, purl: str) -> None:
    assert to_purl(coordinate.ecosystem, coordinate.name, coordinate.version) == purl
    assert from_purl(purl) == coordinate


def test_from_purl_normalizes_the_name() -> None:
    assert from_purl("pkg:pypi/Django_Rest@1.0").name == "django-rest"


def test_from_purl_rejects_malformed_input_with_invalid_purl() -> None:
    with pytest.raises(InvalidPurl, match="invalid purl"):
        from_purl("not a purl")


def test_from_purl_reports_unsupported_types_with_their_parts() -> None:
    with pytest.raises(UnsupportedPurlType) as caught:
        from_purl("pkg:deb/debian/openssl@3.0.11")
    assert (caught.value.purl_type, caught.value.name, caught.value.version) == (
        "deb",
        "debian/openssl",
        "3.0.11",
    )
    assert isinstance(caught.value, ValueError)


def test_to_purl_rejects_a_maven_name_without_group() -> None:
    with pytest.raises(ValueError, match="group:artifact"):
        to_purl(Ecosystem.MAVEN, "junit")
