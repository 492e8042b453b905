"""The manifest service: one file from disk, requirements includes, and scanning a checkout."""

from pathlib import Path

import pytest

from app.manifests import ManifestParseError
from app.services.manifest import ManifestService


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_file_folds_in_includes_and_applies_constraints(tmp_path: Path) -> None:
    _write(tmp_path, "reqs/base.in", "requests\n-r common.txt\n")
    _write(tmp_path, "reqs/common.txt", "idna>=3\n")
    _write(tmp_path, "reqs/pins.txt", "requests==2.31.0\nurllib3==2.2.0\n")
    main = _write(tmp_path, "requirements.txt", "-r reqs/base.in\n-c reqs/pins.txt\nflask\n")
    result = ManifestService().parse_file(main)
    got = {(d.name, d.version, Path(d.path).name) for d in result.dependencies}
    assert got == {
        ("flask", None, "requirements.txt"),
        ("requests", "2.31.0", "base.in"),
        ("idna", None, "common.txt"),
    }
    assert result.includes == ()


def test_includes_outside_the_tree_or_missing_are_noted_not_fatal(tmp_path: Path) -> None:
    _write(tmp_path, "secret.txt", "leaked\n")
    main = _write(tmp_path, "app/requirements.txt", "-r ../secret.txt\n-r missing.txt\nflask\n")
    result = ManifestService().parse_file(main)
    assert [d.name for d in result.dependencies] == ["flask"]
    assert len(result.problems) == 2
    assert "outside the tree" in result.problems[0]
    assert "no such file" in result.problems[1]


def test_include_cycles_stop(tmp_path: Path) -> None:
    _write(tmp_path, "a.txt", "-r requirements.txt\nalpha\n")
    main = _write(tmp_path, "requirements.txt", "-r a.txt\nbeta\n")
    result = ManifestService().parse_file(main)
    assert sorted(d.name for d in result.dependencies) == ["alpha", "beta"]
    assert any("is a cycle" in problem for problem in result.problems)


def test_parse_file_raises_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestParseError, match="no such file"):
        ManifestService().parse_file(tmp_path / "package.json")


def test_parse_file_refuses_an_oversized_file_without_reading_it(tmp_path: Path) -> None:
    big = _write(tmp_path, "go.sum", "x" * 100)
    with pytest.raises(ManifestParseError, match="over the 10 limit"):
        ManifestService(max_bytes=10).parse_file(big)


def test_scan_parses_recognized_files_and_skips_vendored_trees(tmp_path: Path) -> None:
    _write(tmp_path, "package.json", '{"dependencies": {"express": "^4"}}')
    _write(tmp_path, "svc/go.mod", "module example.com/svc\n\nrequire example.com/lib v1.0.0\n")
    _write(tmp_path, "node_modules/express/package.json", '{"dependencies": {"x": "1"}}')
    _write(tmp_path, ".git/package.json", "{}")
    _write(tmp_path, "vendor/example.com/lib/go.mod", "module example.com/lib\n")
    _write(tmp_path, "env/pyvenv.cfg", "home = /usr/bin\n")
    _write(tmp_path, "env/lib/site/requirements.txt", "inside-venv\n")
    _write(tmp_path, "README.md", "# not a manifest\n")
    scan = ManifestService().scan(tmp_path)
    assert [r.path for r in scan.results] == ["package.json", "svc/go.mod"]
    assert scan.errors == ()


def test_scan_reports_a_bad_file_and_keeps_going(tmp_path: Path) -> None:
    _write(tmp_path, "a/package.json", "{ not json")
    _write(tmp_path, "b/requirements-dev.txt", "pytest>=8\n")
    _write(tmp_path, "c/Cargo.toml", '[dependencies]\nserde = "1"\n')
    scan = ManifestService().scan(tmp_path)
    assert [r.path for r in scan.results] == ["b/requirements-dev.txt", "c/Cargo.toml"]
    assert [e.path for e in scan.errors] == ["a/package.json"]
    assert "invalid JSON" in scan.errors[0].reason


def test_scan_does_not_follow_symlinks_out_of_the_tree(tmp_path: Path) -> None:
    outside = _write(tmp_path / "outside", "requirements.txt", "secret-package\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").symlink_to(outside)
    assert ManifestService().scan(tree).results == ()
