"""`wump keys`: arguments are checked before any database is touched (the happy path is e2e)."""

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.cli.keys import parse_duration


@pytest.fixture(autouse=True)
def no_servers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "VALKEY_URL", "ENVIRONMENT", "API_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WUMP_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("2W", timedelta(weeks=2))],
)
def test_durations_are_read_in_minutes_hours_days_or_weeks(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tier", "platinum"], "--tier"),
        (["--scopes", "read,root"], "--scopes"),
        (["--scopes", ""], "--scopes"),
        (["--expires-in", "0d"], "--expires-in"),
        (["--expires-in", "soon"], "--expires-in"),
        (["--expires-in", "99999999999999d"], "--expires-in"),
        (["--expires-in", "36526d"], "--expires-in"),
        (["--rate-limit", "2147483648"], "--rate-limit"),
    ],
)
def test_invalid_create_arguments_stop_with_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["keys", "create", "--name", "x", *args])

    assert result.exit_code == 2
    assert message in result.stderr
