"""`wump parse` and `wump scan` driven through the Typer application."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.manifests._support import FIXTURES

runner = CliRunner()


def test_parse_json_prints_one_object_with_dependencies_and_root() -> None:
    result = runner.invoke(
        cli, ["parse", str(FIXTURES / "uv.v1.lock"), "--filename", "uv.lock", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["root"] == {"ecosystem": "pypi", "name": "demo-app", "version": "0.3.0"}
    assert {"ecosystem", "name", "requirement", "version", "type", "direct"} <= set(
        document["dependencies"][0]
    )
    assert {d["name"] for d in document["dependencies"]} == {
        "httpx",
        "idna",
        "pyyaml",
        "pytest",
        "pluggy",
    }


def test_parse_filename_option_names_the_format_of_odd_fixture_names() -> None:
    result = runner.invoke(
        cli, ["parse", str(FIXTURES / "yarn.berry.lock"), "--filename", "yarn.lock"]
    )
    assert result.exit_code == 0
    assert "lodash" in result.stdout
    assert "[yarn.lock]" in result.stdout


def test_parse_missing_file_exits_2_with_one_line_on_stderr(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["parse", str(tmp_path / "package.json")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"wump parse: error: {tmp_path / 'package.json'}: no such file"
    ]
    assert "Traceback" not in result.output


def test_parse_malformed_file_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "composer.json"
    broken.write_text("{", encoding="utf-8")
    result = runner.invoke(cli, ["parse", str(broken), "--format", "json"])
    assert result.exit_code == 2
    assert "invalid JSON" in result.stderr
    assert result.stdout == ""


def test_scan_json_lists_results_and_per_file_errors(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module a\n\nrequire b.example.com/c v1.0.0\n")
    (tmp_path / "pom.xml").write_text("<project><dependencies>")
    result = runner.invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [f["path"] for f in document["files"]] == ["go.mod"]
    assert document["files"][0]["dependencies"][0]["name"] == "b.example.com/c"
    assert [e["path"] for e in document["errors"]] == ["pom.xml"]


def test_scan_table_prints_files_and_reports_errors_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "Gemfile").write_text('gem "rails", "~> 7.1"\n')
    (tmp_path / "Cargo.lock").write_bytes(b"\xff\xfe")
    result = runner.invoke(cli, ["scan", str(tmp_path)])
    assert result.exit_code == 1
    assert "rails" in result.stdout
    assert "1 file(s) parsed, 1 with errors" in result.stdout
    assert "error: Cargo.lock: not valid UTF-8" in result.stderr


def test_scan_of_a_missing_directory_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["scan", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


def test_scan_without_errors_exits_0(tmp_path: Path) -> None:
    (tmp_path / "Gemfile").write_text('gem "rails", "~> 7.1"\n')
    result = runner.invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["errors"] == []


def test_parse_honours_the_manifest_size_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "requirements.txt"
    manifest.write_text("requests==2.32.3\n" * 200)
    monkeypatch.setenv("MANIFEST_MAX_BYTES", "1024")
    result = runner.invoke(cli, ["parse", str(manifest)])
    assert result.exit_code == 2
    assert "over the 1024 limit" in result.stderr, result.stderr


def test_parse_prints_via_capped_by_the_manifest_via_limit_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"web": "^1", "cli": "^1"}},
            "node_modules/web": {"version": "1.0.0", "dependencies": {"core": "^1"}},
            "node_modules/cli": {"version": "1.0.0", "dependencies": {"core": "^1"}},
            "node_modules/core": {"version": "1.0.0"},
        },
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    command = ["parse", str(tmp_path / "package-lock.json"), "--format", "json"]

    document = json.loads(runner.invoke(cli, command).stdout)
    monkeypatch.setenv("MANIFEST_VIA_LIMIT", "1")
    capped = json.loads(runner.invoke(cli, command).stdout)

    assert document["dependencies"][2]["via"] == ["cli", "web"]
    assert capped["dependencies"][2]["via"] == ["cli"]
    table = runner.invoke(cli, command[:2])
    assert "transitive  via cli" in table.stdout
