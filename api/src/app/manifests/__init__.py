"""Pure manifest and lockfile parsers: bytes and a file name in, dependencies out."""

from app.manifests.graph import DEFAULT_VIA_LIMIT
from app.manifests.model import (
    Dependency,
    DependencyType,
    Include,
    ManifestParseError,
    ManifestResult,
    RootPackage,
)
from app.manifests.registry import DEFAULT_MAX_BYTES, PARSERS, Parser, detect, parse

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_VIA_LIMIT",
    "PARSERS",
    "Dependency",
    "DependencyType",
    "Include",
    "ManifestParseError",
    "ManifestResult",
    "Parser",
    "RootPackage",
    "detect",
    "parse",
]
