"""Commands that use the database work as `wump dev seed` does: with no DATABASE_URL and no
`wump serve` running, they start the embedded database for themselves and stop it after."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.embedded import read_runtime_urls

runner = CliRunner()


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, migrated_data_dir: Path) -> Path:
    for name in ("DATABASE_URL", "VALKEY_URL", "ENVIRONMENT", "API_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WUMP_DATA_DIR", str(migrated_data_dir))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return migrated_data_dir


def test_keys_and_ingest_start_the_embedded_database_when_none_runs(data_dir: Path) -> None:
    created = runner.invoke(cli, ["keys", "create", "--name", "first-hour"])
    assert created.exit_code == 0, created.output
    assert created.stdout.startswith("wump_")

    listed = runner.invoke(cli, ["keys", "list"])
    assert listed.exit_code == 0, listed.output
    assert "first-hour" in listed.stdout

    queued = runner.invoke(cli, ["ingest", "org", "octo-org", "--wait"])
    assert queued.exit_code == 0, queued.output
    assert "queued: ingest_organization octo-org" in queued.stdout
    assert "the job runs when `wump serve` or `wump worker` starts" in queued.stdout

    # Stopped again: the next `wump serve` on this directory starts it afresh.
    assert read_runtime_urls(data_dir) is None
