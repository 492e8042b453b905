"""Where manifest tests find their inputs: wump's own fixtures and the peer corpus."""

import json
from pathlib import Path
from typing import Any

from app.manifests import Dependency, ManifestResult, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "dev"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str, filename: str) -> ManifestResult:
    return parse(fixture(name), filename, path=name)


def by_name(result: ManifestResult) -> dict[str, Dependency]:
    return {dep.name: dep for dep in result.dependencies}


def corpus_case(ecosystem: str, case: str) -> tuple[ManifestResult, dict[str, Any]]:
    """Parse one corpus fixture as the file it stands for; returns the result and expectations."""
    folder = CORPUS / ecosystem / case
    # A missing case raises FileNotFoundError here: the test fails instead of skipping.
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    filename = expected["canonical_filename"].replace("*", "project")
    data = (folder / expected["fixture"]).read_bytes()
    return parse(data, filename, path=expected["fixture"]), expected
