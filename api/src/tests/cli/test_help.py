"""`wump --help` and every group's help read as plain help: flags without type labels."""

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.mark.parametrize(
    "arguments",
    [[], ["ingest"], ["ingest", "org"], ["keys"], ["keys", "create"], ["dev"], ["dev", "seed"]],
)
def test_help_shows_flags_without_a_type_label(arguments: list[str]) -> None:
    result = runner.invoke(cli, [*arguments, "--help"])

    assert result.exit_code == 0, result.output
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout
