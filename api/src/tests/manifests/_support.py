"""Where manifest tests find their inputs: wump's own fixtures and the peer corpus."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from app.manifests import Dependency, ManifestResult, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
# A checkout keeps the shared data beside the repository: <repo>/../shared/corpus/manifests/dev.
_DEFAULT_CORPUS = Path(__file__).resolve().parents[5] / "shared" / "corpus" / "manifests" / "dev"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str, filename: str) -> ManifestResult:
    return parse(fixture(name), filename, path=name)


def by_name(result: ManifestResult) -> dict[str, Dependency]:
    return {dep.name: dep for dep in result.dependencies}


def corpus_dir() -> Path:
    corpus = Path(os.environ.get("WUMP_MANIFEST_CORPUS", _DEFAULT_CORPUS))
    if not corpus.is_dir():
        pytest.skip(f"peer corpus not found at {corpus} (set WUMP_MANIFEST_CORPUS)")
    return corpus


def corpus_case(ecosystem: str, case: str) -> tuple[ManifestResult, dict[str, Any]]:
    """Parse one corpus fixture as the file it stands for; returns the result and expectations."""
    folder = corpus_dir() / ecosystem / case
    if not folder.is_dir():
        pytest.skip(f"corpus case {ecosystem}/{case} not present")
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    filename = expected["canonical_filename"].replace("*", "project")
    data = (folder / expected["fixture"]).read_bytes()
    return parse(data, filename, path=expected["fixture"]), expected
