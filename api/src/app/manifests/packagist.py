"""Packagist (Composer): composer.json and composer.lock."""

from app.core.ecosystems import Ecosystem
from app.manifests._base import Collector, load_json_object, mapping, text_or_none
from app.manifests.graph import DEFAULT_VIA_LIMIT, Root, sources, walk
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


def parse_composer_lock(
    data: bytes, path: str, via_limit: int = DEFAULT_VIA_LIMIT
) -> ManifestResult:
    """Locked packages; `packages-dev` holds the ones only development needs.

    The project's own requirements live in composer.json: the packages no other locked package
    requires are certainly direct ones, and `via` starts from them; others stay unknown.
    """
    document = load_json_object(data, path)
    if "packages" not in document and "packages-dev" not in document:
        raise ManifestParseError(path, "not a composer.lock: no packages")
    entries: list[tuple[str, str | None, DependencyType]] = []
    edges: dict[str, list[str]] = {}
    for field, dep_type in (
        ("packages", DependencyType.RUNTIME),
        ("packages-dev", DependencyType.DEVELOPMENT),
    ):
        listed = document.get(field)
        for raw in listed if isinstance(listed, list) else []:
            entry = mapping(raw)
            name = text_or_none(entry.get("name"))
            if not name:
                continue
            node = name.lower()
            entries.append((node, text_or_none(entry.get("version")), dep_type))
            # Platform requirements (php, ext-*) are not packages and have no entry.
            edges.setdefault(node, []).extend(
                str(required).lower() for required in mapping(entry.get("require"))
            )
    types = {node: dep_type for node, _, dep_type in entries}
    present = edges.keys()
    edges = {node: [t for t in targets if t in present] for node, targets in edges.items()}
    roots = {node: Root(node, types[node] is DependencyType.DEVELOPMENT) for node in sources(edges)}
    walked = walk(edges, roots, via_limit)
    deps = Collector(path, Ecosystem.PACKAGIST)
    for node, version, dep_type in entries:
        deps.add(
            node,
            version=version,
            type=dep_type,
            direct=True if node in roots else None,
            via=() if node in roots else walked.via(node),
        )
    return deps.result("composer.lock")
