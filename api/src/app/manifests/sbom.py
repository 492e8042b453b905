"""SBOMs: SPDX 2.x JSON and CycloneDX 1.4-1.6 JSON; ecosystems come from purls."""

from collections.abc import Iterable
from typing import Any

from app.core.ecosystems import InvalidPurl, UnsupportedPurlType, from_purl
from app.manifests._base import load_json_object, mapping, text_or_none
from app.manifests.model import (
    Dependency,
    DependencyType,
    ManifestParseError,
    ManifestResult,
    RootPackage,
)

_CPE_TYPES = frozenset({"cpe23Type", "cpe22Type", "cpe23", "cpe22"})
# Operating-system package types put the distribution in the purl namespace (`pkg:deb/debian/
# openssl`): the package is `openssl` whichever distribution built it.
_VENDOR_NAMESPACE_TYPES = frozenset({"alpm", "apk", "deb", "qpkg", "rpm"})
_NO_VALUE = frozenset({"NOASSERTION", "NONE"})


def _from_purl(purl: str) -> tuple[str | None, str, str | None]:
    """(ecosystem, name, version); outside wump's ecosystems the purl type stands in."""
    try:
        coordinate = from_purl(purl)
    except UnsupportedPurlType as exc:
        name = exc.name
        if exc.purl_type.lower() in _VENDOR_NAMESPACE_TYPES:
            name = name.rpartition("/")[2]
        return exc.purl_type.lower(), name, exc.version
    return coordinate.ecosystem.value, coordinate.name, coordinate.version


def parse_sbom(data: bytes, path: str) -> ManifestResult:
    document = load_json_object(data, path)
    if str(document.get("spdxVersion", "")).startswith("SPDX-2"):
        return _parse_spdx(document, path)
    if document.get("bomFormat") == "CycloneDX":
        return _parse_cyclonedx(document, path)
    raise ManifestParseError(path, "neither an SPDX 2.x nor a CycloneDX JSON document")


def _spdx_value(value: Any) -> str | None:
    text = text_or_none(value)
    return None if text is None or text in _NO_VALUE else text


def _spdx_root_id(document: dict[str, Any]) -> str | None:
    """The SPDX id of the project when the document describes exactly one package.

    Documents of an image or a folder describe every package they found; then none is the root.
    """
    described = {str(ref) for ref in document.get("documentDescribes", []) or []}
    for raw in document.get("relationships", []) or []:
        relationship = mapping(raw)
        kind = relationship.get("relationshipType")
        source, target = relationship.get("spdxElementId"), relationship.get("relatedSpdxElement")
        if kind == "DESCRIBES" and source == "SPDXRef-DOCUMENT":
            described.add(str(target))
        elif kind == "DESCRIBED_BY" and target == "SPDXRef-DOCUMENT":
            described.add(str(source))
    return described.pop() if len(described) == 1 else None


def _spdx_identity(package: dict[str, Any]) -> tuple[str | None, str, str | None] | None:
    """(ecosystem, name, version) of one SPDX package, or None when nothing identifies it."""
    refs = [mapping(ref) for ref in package.get("externalRefs", []) or []]
    purls = [r for r in refs if r.get("referenceType") == "purl" and r.get("referenceLocator")]
    version = _spdx_value(package.get("versionInfo"))
    if purls:
        ecosystem, purl_name, purl_version = _from_purl(str(purls[0]["referenceLocator"]))
        return ecosystem, purl_name, purl_version or version
    cpes = [r for r in refs if r.get("referenceType") in _CPE_TYPES and r.get("referenceLocator")]
    if cpes:
        # Without a purl the CPE is the only identifier a consumer can match on.
        return None, str(cpes[0]["referenceLocator"]), None
    name = _spdx_value(package.get("name"))
    # A name without a version or any identifier (a folder the scanner saw) names nothing.
    if name and version:
        return "generic", name, version
    return None


def _parse_spdx(document: dict[str, Any], path: str) -> ManifestResult:
    dependencies: list[Dependency] = []
    problems: list[str] = []
    root_id = _spdx_root_id(document)
    root: RootPackage | None = None
    packages = document.get("packages")
    for raw in packages if isinstance(packages, list) else []:
        package = mapping(raw)
        try:
            identity = _spdx_identity(package)
        except InvalidPurl as exc:
            problems.append(str(exc))
            continue
        if identity is None:
            continue
        if root_id is not None and package.get("SPDXID") == root_id:
            root = RootPackage(*identity)
            continue
        ecosystem, name, version = identity
        dependencies.append(Dependency(ecosystem, name, version, version, None, None, path))
    return ManifestResult(path, "spdx", tuple(dependencies), root, problems=tuple(problems))


def _components(components: Any) -> Iterable[dict[str, Any]]:
    pending = list(components) if isinstance(components, list) else []
    while pending:
        component = mapping(pending.pop(0))
        yield component
        nested = component.get("components")
        if isinstance(nested, list):
            pending.extend(nested)


def _identify(component: dict[str, Any]) -> tuple[str | None, str, str | None] | None:
    purl = text_or_none(component.get("purl"))
    if purl:
        ecosystem, name, version = _from_purl(purl)
        return ecosystem, name, version or text_or_none(component.get("version"))
    plain_name = text_or_none(component.get("name"))
    if plain_name and text_or_none(component.get("cpe")):
        return None, plain_name, text_or_none(component.get("version"))
    return None


def _parse_cyclonedx(document: dict[str, Any], path: str) -> ManifestResult:
    metadata_component = mapping(mapping(document.get("metadata")).get("component"))
    root_ref = metadata_component.get("bom-ref")
    depends_on: set[str] | None = None
    for entry in document.get("dependencies", []) or []:
        if root_ref is not None and mapping(entry).get("ref") == root_ref:
            depends_on = {str(ref) for ref in mapping(entry).get("dependsOn", []) or []}
    dependencies: list[Dependency] = []
    problems: list[str] = []
    for component in _components(document.get("components")):
        try:
            identity = _identify(component)
        except InvalidPurl as exc:
            problems.append(str(exc))
            continue
        if identity is None:
            continue
        ecosystem, name, version = identity
        scope = component.get("scope")
        dep_type = {"excluded": DependencyType.EXCLUDED, "optional": DependencyType.OPTIONAL}.get(
            str(scope), DependencyType.RUNTIME if scope == "required" else None
        )
        direct = None if depends_on is None else str(component.get("bom-ref")) in depends_on
        dependencies.append(Dependency(ecosystem, name, version, version, dep_type, direct, path))
    root = None
    if metadata_component:
        try:
            identity = _identify(metadata_component)
        except InvalidPurl:
            identity = None
        if identity is not None:
            root = RootPackage(*identity)
        elif text_or_none(metadata_component.get("name")):
            root = RootPackage(
                None,
                str(metadata_component["name"]),
                text_or_none(metadata_component.get("version")),
            )
    return ManifestResult(path, "cyclonedx", tuple(dependencies), root, problems=tuple(problems))
