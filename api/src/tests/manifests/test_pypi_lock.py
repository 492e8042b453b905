"""PyPI lockfiles: poetry.lock (1 and 2), uv.lock and Pipfile.lock."""

from app.manifests import DependencyType
from tests.manifests._support import by_name, corpus_case, parse_fixture


def test_poetry_v1_lock_uses_category_and_optional() -> None:
    deps = by_name(parse_fixture("poetry.v1.lock", "poetry.lock"))
    assert {name: dep.type for name, dep in deps.items()} == {
        "requests": DependencyType.RUNTIME,
        "pytest": DependencyType.DEVELOPMENT,
        "ujson": DependencyType.OPTIONAL,
    }
    assert deps["requests"].version == "2.31.0"


def test_poetry_v2_lock_corpus_case_uses_groups() -> None:
    result, expected = corpus_case("pypi", "scalibr-pypi-poetrylock-multiple-packages.v2.lock")
    got = sorted((d.name, d.version, d.type) for d in result.dependencies)
    want = sorted((d["name"], d["version"], d["type"]) for d in expected["dependencies"])
    assert got == want


def test_uv_lock_reports_the_project_apart_and_follows_the_graph() -> None:
    result = parse_fixture("uv.v1.lock", "uv.lock")
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("demo-app", "0.3.0")
    got = {(d.name, d.version, d.type, d.direct) for d in result.dependencies}
    assert got == {
        ("httpx", "0.27.0", DependencyType.RUNTIME, True),
        ("idna", "3.6", DependencyType.RUNTIME, False),
        ("pyyaml", "6.0.1", DependencyType.OPTIONAL, True),
        ("pytest", "8.0.0", DependencyType.DEVELOPMENT, True),
        ("pluggy", "1.4.0", DependencyType.DEVELOPMENT, False),
    }


def test_pipfile_lock_reads_default_and_develop_pins() -> None:
    deps = by_name(parse_fixture("Pipfile.lock", "Pipfile.lock"))
    assert (deps["django"].requirement, deps["django"].version) == ("==4.2.9", "4.2.9")
    assert deps["pytest"].type is DependencyType.DEVELOPMENT
    assert deps["private-lib"].version is None
