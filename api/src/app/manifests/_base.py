"""Reading helpers shared by the parsers: decoding, safe structured loaders, result building."""

import bisect
import json
import tomllib
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import yaml
from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from app.core.ecosystems import Ecosystem, normalize_name
from app.manifests.model import (
    Dependency,
    DependencyType,
    Include,
    ManifestParseError,
    ManifestResult,
    RootPackage,
)

# The C loader is several times faster on large lockfiles; both construct plain data only.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def decode(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestParseError(path, f"not valid UTF-8 (byte {exc.start})") from None
    return text.removeprefix("\ufeff")


def load_json(data: bytes, path: str) -> Any:
    text = decode(data, path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestParseError(path, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise ManifestParseError(path, "invalid JSON: nested too deeply") from None


def load_json_object(data: bytes, path: str) -> dict[str, Any]:
    return expect_mapping(load_json(data, path), path, "a JSON object")


def load_toml(data: bytes, path: str) -> dict[str, Any]:
    text = decode(data, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestParseError(path, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ManifestParseError(path, "invalid TOML: nested too deeply") from None


def load_yaml(data: bytes, path: str) -> Any:
    text = decode(data, path)
    try:
        return yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ManifestParseError(path, f"invalid YAML: {reason}") from None
    except RecursionError:
        raise ManifestParseError(path, "invalid YAML: nested too deeply") from None


def load_xml(data: bytes, path: str) -> Element:
    # defusedxml refuses entity declarations and external references, so XXE and entity
    # expansion ("billion laughs") end here as parse errors.
    try:
        return SafeElementTree.fromstring(data)
    except DefusedXmlException as exc:
        raise ManifestParseError(path, f"unsafe XML refused: {type(exc).__name__}") from None
    except ParseError as exc:
        raise ManifestParseError(path, f"invalid XML: {exc}") from None
    except (RecursionError, ValueError) as exc:
        raise ManifestParseError(path, f"invalid XML: {exc}") from None


def expect_mapping(value: Any, path: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestParseError(path, f"expected {what} at the top level")
    return value


def mapping(value: Any) -> dict[str, Any]:
    """The value when it is a mapping, else empty: odd entries inside a file are skipped."""
    return value if isinstance(value, dict) else {}


def text_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def local_name(element: Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rpartition("}")[2]


def child_text(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    for child in element:
        if local_name(child) == name:
            return (child.text or "").strip() or None
    return None


def children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [child for child in element if local_name(child) == name]


def child(element: Element | None, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


class LineIndex:
    """Maps character offsets of a text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        position = text.find("\n")
        while position != -1:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


class Collector:
    """Accumulates one file's dependencies with the file's path and ecosystem filled in."""

    def __init__(self, path: str, ecosystem: Ecosystem) -> None:
        self.path = path
        self.ecosystem = ecosystem
        self.dependencies: list[Dependency] = []
        self.problems: list[str] = []

    def add(
        self,
        name: str,
        *,
        requirement: str | None = None,
        version: str | None = None,
        type: DependencyType | None = None,
        direct: bool | None = None,
        line: int | None = None,
        via: tuple[str, ...] = (),
    ) -> None:
        name = normalize_name(self.ecosystem, name)
        if not name:
            return
        self.dependencies.append(
            Dependency(
                ecosystem=self.ecosystem.value,
                name=name,
                requirement=requirement or None,
                version=version or None,
                type=type,
                direct=direct,
                path=self.path,
                line=line,
                via=via,
            )
        )

    def root(self, name: str | None, version: str | None = None) -> RootPackage | None:
        if not name:
            return None
        return RootPackage(self.ecosystem.value, normalize_name(self.ecosystem, name), version)

    def result(
        self,
        format: str,
        root: RootPackage | None = None,
        includes: tuple[Include, ...] = (),
    ) -> ManifestResult:
        return ManifestResult(
            self.path, format, tuple(self.dependencies), root, includes, tuple(self.problems)
        )
