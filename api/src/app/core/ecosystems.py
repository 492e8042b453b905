"""The package ecosystems wump knows, their name rules, and package URLs (purl) both ways."""

from dataclasses import dataclass
from enum import StrEnum

from packageurl import PackageURL
from packaging.utils import canonicalize_name


class Ecosystem(StrEnum):
    NPM = "npm"
    PYPI = "pypi"
    GO = "go"
    CARGO = "cargo"
    RUBYGEMS = "rubygems"
    PACKAGIST = "packagist"
    MAVEN = "maven"
    NUGET = "nuget"


class InvalidPurl(ValueError):
    """A package URL that cannot be read, or whose type wump does not track."""


class UnsupportedPurlType(InvalidPurl):
    """A well-formed package URL whose type is outside wump's ecosystems."""

    def __init__(self, purl: str, purl_type: str, name: str, version: str | None) -> None:
        super().__init__(f"unsupported purl type {purl_type!r} in {purl!r}")
        self.purl_type = purl_type
        self.name = name
        self.version = version


@dataclass(frozen=True, slots=True)
class PackageCoordinate:
    ecosystem: Ecosystem
    name: str
    version: str | None = None


_PURL_TYPES: dict[Ecosystem, str] = {
    Ecosystem.NPM: "npm",
    Ecosystem.PYPI: "pypi",
    Ecosystem.GO: "golang",
    Ecosystem.CARGO: "cargo",
    Ecosystem.RUBYGEMS: "gem",
    Ecosystem.PACKAGIST: "composer",
    Ecosystem.MAVEN: "maven",
    Ecosystem.NUGET: "nuget",
}
_ECOSYSTEMS_BY_PURL_TYPE = {purl_type: eco for eco, purl_type in _PURL_TYPES.items()}


def normalize_name(ecosystem: Ecosystem, name: str) -> str:
    """The name under which the ecosystem's registry considers two spellings the same package."""
    name = name.strip()
    if ecosystem is Ecosystem.PYPI:
        return canonicalize_name(name)
    if ecosystem in (Ecosystem.NUGET, Ecosystem.PACKAGIST):
        return name.lower()
    # npm (old mixed-case packages are distinct), Go module paths, crates, gems and Maven
    # coordinates are case-sensitive, so they are kept as written.
    return name


def purl_type_ecosystem(purl_type: str) -> Ecosystem | None:
    return _ECOSYSTEMS_BY_PURL_TYPE.get(purl_type.lower())


def to_purl(ecosystem: Ecosystem, name: str, version: str | None = None) -> str:
    name = normalize_name(ecosystem, name)
    namespace: str | None = None
    match ecosystem:
        case Ecosystem.MAVEN:
            namespace, sep, name = name.partition(":")
            if not sep:
                raise ValueError(f"maven name must be group:artifact, got {name!r}")
        case Ecosystem.NPM if name.startswith("@"):
            namespace, _, name = name.partition("/")
        case Ecosystem.GO | Ecosystem.PACKAGIST if "/" in name:
            namespace, _, name = name.rpartition("/")
        case _:
            pass
    purl = PackageURL(
        type=_PURL_TYPES[ecosystem], namespace=namespace, name=name, version=version or None
    )
    return str(purl.to_string())


def from_purl(purl: str) -> PackageCoordinate:
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        raise InvalidPurl(f"invalid purl {purl!r}: {exc}") from exc
    namespace = parsed.namespace or ""
    ecosystem = purl_type_ecosystem(parsed.type)
    if ecosystem is None:
        generic_name = f"{namespace}/{parsed.name}" if namespace else parsed.name
        raise UnsupportedPurlType(purl, parsed.type, generic_name, parsed.version)
    separator = ":" if ecosystem is Ecosystem.MAVEN else "/"
    if ecosystem is Ecosystem.MAVEN and not namespace:
        raise InvalidPurl(f"maven purl without a group: {purl!r}")
    name = f"{namespace}{separator}{parsed.name}" if namespace else parsed.name
    return PackageCoordinate(ecosystem, normalize_name(ecosystem, name), parsed.version)
