"""The peer corpus kept as test data is complete: every case has its fixture, with its hash."""

import hashlib
import json

from app.manifests import parse
from tests.manifests._support import CORPUS


def test_every_corpus_case_has_its_fixture_with_the_recorded_hash() -> None:
    cases = sorted(CORPUS.glob("*/*/expected.json"))
    folders = sorted(path for path in CORPUS.glob("*/*") if path.is_dir())

    assert len(cases) >= 78
    assert [case.parent for case in cases] == folders
    for case in cases:
        expected = json.loads(case.read_text(encoding="utf-8"))
        data = (case.parent / expected["fixture"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == expected["fixture_sha256"], case.parent.name


def test_every_corpus_fixture_parses_as_the_file_it_stands_for() -> None:
    for case in sorted(CORPUS.glob("*/*/expected.json")):
        expected = json.loads(case.read_text(encoding="utf-8"))
        filename = expected["canonical_filename"].replace("*", "project")
        result = parse((case.parent / expected["fixture"]).read_bytes(), filename)
        assert result.dependencies or expected["dependency_count"] == 0, case.parent.name


def test_the_corpus_keeps_its_licence_and_attribution_notes() -> None:
    notes = (CORPUS.parent / "README.md").read_text(encoding="utf-8")

    assert "## Sources, commits, licenses" in notes
    assert "Keep this notice with the data." in notes
