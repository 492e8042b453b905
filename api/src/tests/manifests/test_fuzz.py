"""Property: whatever bytes arrive, a parser returns a result or raises ManifestParseError."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.manifests import PARSERS, ManifestParseError, ManifestResult, detect, parse
from tests.manifests._support import FIXTURES

# One sample per format: small documents in seeds/, plus wump's lockfile fixtures under the
# file name they stand for.
_FIXTURE_SEEDS = {
    "package-lock.json": "package-lock.v3.json",
    "yarn.lock": "yarn.v1.lock",
    "pnpm-lock.yaml": "pnpm-lock.v6.yaml",
    "Pipfile": "Pipfile",
    "Pipfile.lock": "Pipfile.lock",
    "poetry.lock": "poetry.v1.lock",
    "uv.lock": "uv.v1.lock",
    "Gemfile": "Gemfile",
}
SEEDS: dict[str, bytes] = {path.name: path.read_bytes() for path in (FIXTURES / "seeds").iterdir()}
SEEDS.update({name: (FIXTURES / source).read_bytes() for name, source in _FIXTURE_SEEDS.items()})
# Modest by default so the suite stays quick; raise WUMP_FUZZ_EXAMPLES for a long local run.
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("WUMP_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _outcome(data: bytes, filename: str) -> ManifestResult | ManifestParseError:
    try:
        return parse(data, filename, max_bytes=1 << 20)
    except ManifestParseError as exc:
        return exc


def _parse_safely(data: bytes, filename: str) -> None:
    outcome = _outcome(data, filename)
    if isinstance(outcome, ManifestParseError):
        assert outcome.path == filename
        assert outcome.reason
    else:
        assert all(dep.name for dep in outcome.dependencies)


def test_every_parser_has_a_fuzz_seed() -> None:
    covered = {parser.format for name in SEEDS if (parser := detect(name)) is not None}
    assert covered == {parser.format for parser in PARSERS}


@pytest.mark.parametrize("filename", sorted(SEEDS))
def test_seeds_parse_to_results(filename: str) -> None:
    assert parse(SEEDS[filename], filename).dependencies


@FUZZ_SETTINGS
@given(filename=st.sampled_from(sorted(SEEDS)), data=st.binary(max_size=512))
def test_random_bytes_give_results_or_parse_errors(filename: str, data: bytes) -> None:
    _parse_safely(data, filename)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    filename = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[filename])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
        if action == "truncate":
            del data[position:]
        elif action == "flip" and position < len(data):
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif position < len(data):
            del data[position : position + draw(st.integers(min_value=1, max_value=16))]
    return filename, bytes(data)


@FUZZ_SETTINGS
@given(case=_mutated())
def test_mutated_seeds_give_results_or_parse_errors(case: tuple[str, bytes]) -> None:
    _parse_safely(case[1], case[0])
