"""PyPI manifests: requirements files, pyproject.toml, setup.cfg and Pipfile."""

from packaging.utils import canonicalize_name

from app.manifests import DependencyType, Include, parse
from tests.manifests._support import by_name, corpus_case, parse_fixture

REQUIREMENTS = b"""\
# pinned web stack
--index-url https://packages.example.com/simple
-r base.txt
--constraint constraints.txt
Flask[async]==3.0.0 ; python_version >= "3.11"  # inline comment
requests>=2.31,<3 \\
    --hash=sha256:0000
-e git+https://git.example.com/acme/tool.git@v1#egg=acme-tool
local-pkg @ https://files.example.com/local_pkg-1.0.tar.gz
-e .
broken==1.0 trailing words
"""


def test_requirements_read_specifiers_pins_urls_and_includes() -> None:
    result = parse(REQUIREMENTS, "requirements.txt")
    got = [(d.name, d.requirement, d.version, d.line) for d in result.dependencies]
    assert got == [
        ("flask", "==3.0.0", "3.0.0", 5),
        ("requests", "<3,>=2.31", None, 6),
        (
            "acme-tool",
            "--editable git+https://git.example.com/acme/tool.git@v1#egg=acme-tool",
            None,
            8,
        ),
        ("local-pkg", "https://files.example.com/local_pkg-1.0.tar.gz", None, 9),
        ("broken", "==1.0 trailing words", None, 11),
    ]
    assert result.includes == (Include("base.txt", False, 3), Include("constraints.txt", True, 4))
    assert any("read leniently" in problem for problem in result.problems)


def test_requirements_file_name_decides_development_type() -> None:
    dev = parse(b"pytest\n", "requirements-dev.txt").dependencies[0]
    runtime = parse(b"pytest\n", "requirements.txt").dependencies[0]
    assert (dev.type, runtime.type) == (DependencyType.DEVELOPMENT, DependencyType.RUNTIME)


def test_requirements_corpus_case_with_per_requirement_options() -> None:
    result, expected = corpus_case("pypi", "scalibr-pypi-requirements-per_req_options.txt")
    got = sorted(d.name for d in result.dependencies)
    want = sorted(canonicalize_name(d["name"]) for d in expected["dependencies"])
    assert got == want


PYPROJECT = b"""\
[build-system]
requires = ["hatchling>=1.20"]

[project]
name = "Demo_App"
version = "0.4.0"
dependencies = ["httpx>=0.27", "anyio"]

[project.optional-dependencies]
yaml = ["PyYAML>=6", "demo-app[extra]"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]

[tool.uv]
dev-dependencies = ["mypy"]
override-dependencies = ["idna==3.6"]
"""


def test_pyproject_reads_pep621_groups_uv_and_build_requirements() -> None:
    result = parse(PYPROJECT, "pyproject.toml")
    got = {(d.name, d.requirement, d.type) for d in result.dependencies}
    assert got == {
        ("httpx", ">=0.27", DependencyType.RUNTIME),
        ("anyio", None, DependencyType.RUNTIME),
        ("pyyaml", ">=6", DependencyType.OPTIONAL),
        ("pytest", ">=8", DependencyType.DEVELOPMENT),
        ("ruff", None, DependencyType.DEVELOPMENT),
        ("mypy", None, DependencyType.DEVELOPMENT),
        ("idna", "==3.6", DependencyType.OVERRIDE),
        ("hatchling", ">=1.20", DependencyType.BUILD),
    }
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("demo-app", "0.4.0")


def test_pyproject_poetry_corpus_case_marks_optional_and_dev_dependencies() -> None:
    result, _ = corpus_case("pypi", "scancode-pypi-pyproject-toml-poetry-gino-pyproject.toml")
    deps = by_name(result)
    assert "python" not in deps
    assert (deps["sqlalchemy"].requirement, deps["sqlalchemy"].type) == (
        ">=1.3,<1.4",
        DependencyType.RUNTIME,
    )
    assert deps["asyncpg"].type is DependencyType.OPTIONAL
    assert deps["sphinx-intl"].type is DependencyType.DEVELOPMENT


def test_setup_cfg_reads_install_setup_test_and_extras() -> None:
    setup_cfg = b"""\
[metadata]
name = widget
version = attr: widget.__version__

[options]
install_requires =
    click>=8
    rich
setup_requires = setuptools>=64
tests_require = pytest

[options.extras_require]
docs = sphinx
"""
    result = parse(setup_cfg, "setup.cfg")
    got = {(d.name, d.type) for d in result.dependencies}
    assert got == {
        ("click", DependencyType.RUNTIME),
        ("rich", DependencyType.RUNTIME),
        ("setuptools", DependencyType.BUILD),
        ("pytest", DependencyType.DEVELOPMENT),
        ("sphinx", DependencyType.OPTIONAL),
    }
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("widget", None)


def test_pipfile_reads_packages_and_dev_packages() -> None:
    deps = by_name(parse_fixture("Pipfile", "Pipfile"))
    assert (deps["requests"].requirement, deps["django"].requirement) == (None, ">=4.2,<5")
    assert (deps["flask"].version, deps["private-lib"].requirement) == (
        "3.0.0",
        "https://git.example.com/private-lib.git",
    )
    assert deps["pytest"].type is DependencyType.DEVELOPMENT


def test_requirements_paths_archives_and_urls_are_named_by_egg_or_file_name() -> None:
    result = parse_fixture("requirements.paths.txt", "requirements.txt")
    got = [(d.name, d.version, d.line) for d in result.dependencies]
    assert got == [
        ("numpy", "1.26.4", 2),
        ("flask-login", "0.6.3", 3),
        ("pyyaml", "6.0.1", 4),
        ("team-tools", None, 5),
        ("requests", None, 8),
        ("attrs", "23.2.0", 9),
    ]  # the two local folders (lines 6 and 7) are the project's own code
    assert result.problems == ()
    assert result.dependencies[0].requirement == (
        "./wheels/numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl"
    )
