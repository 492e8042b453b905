"""Packagist (Composer): composer.json and composer.lock."""

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, load_json_object, mapping, text_or_none
from app.manifests.model import DependencyType, ManifestParseError, ManifestResult

_LINKS = (
    ("require", DependencyType.RUNTIME),
    ("require-dev", DependencyType.DEVELOPMENT),
    ("provide", DependencyType.OTHER),
    ("replace", DependencyType.OTHER),
    ("conflict", DependencyType.OTHER),
)


def parse_composer_json(data: bytes, path: str) -> ManifestResult:
    document = load_json_object(data, path)
    deps = Collector(path, Ecosystem.PACKAGIST)
    for field, dep_type in _LINKS:
        for name, constraint in mapping(document.get(field)).items():
            deps.add(name, requirement=text_or_none(constraint), type=dep_type, direct=True)
    # A suggestion's value is a free-text reason, not a version constraint.
    for name in mapping(document.get("suggest")):
        deps.add(name, type=DependencyType.SUGGESTED, direct=True)
    root = deps.root(text_or_none(document.get("name")), text_or_none(document.get("version")))
    return deps.result("composer.json", root)


def parse_composer_lock(data: bytes, path: str) -> ManifestResult:
    document = load_json_object(data, path)
    if "packages" not in document and "packages-dev" not in document:
        raise ManifestParseError(path, "not a composer.lock: no packages")
    deps = Collector(path, Ecosystem.PACKAGIST)
    for field, dep_type in (
        ("packages", DependencyType.RUNTIME),
        ("packages-dev", DependencyType.DEVELOPMENT),
    ):
        entries = document.get(field)
        if not isinstance(entries, list):
            continue
        for raw in entries:
            entry = mapping(raw)
            name = text_or_none(entry.get("name"))
            if name:
                deps.add(name, version=text_or_none(entry.get("version")), type=dep_type)
    return deps.result("composer.lock")
