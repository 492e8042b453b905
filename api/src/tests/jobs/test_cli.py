"""`wump ingest ...` from a shell: queue, join, wait, and one-line errors."""

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.fixture
def on_jobs_database(jobs_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", jobs_database)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")


@pytest.mark.usefixtures("on_jobs_database")
def test_ingest_queues_once_and_joins_the_pending_job() -> None:
    first = runner.invoke(cli, ["ingest", "org", "octo-org"])
    assert first.exit_code == 0, first.output
    assert "queued: ingest_organization octo-org" in first.stdout
    job_id = first.stdout.split()[1]

    again = runner.invoke(cli, ["ingest", "org", "OCTO-ORG"])
    assert again.exit_code == 0
    assert f"job {job_id} already pending" in again.stdout

    package = runner.invoke(cli, ["ingest", "package", "pypi", "Django"])
    assert package.exit_code == 0
    assert "discover_package_users pypi/django" in package.stdout


@pytest.mark.usefixtures("on_jobs_database")
def test_wait_gives_up_after_the_timeout_without_cancelling_the_job() -> None:
    result = runner.invoke(cli, ["ingest", "repo", "octo-org/web", "--wait", "--timeout", "1"])
    assert result.exit_code == 3
    assert "still not finished after 1 s; the job goes on" in result.stderr


@pytest.mark.usefixtures("on_jobs_database")
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["org", "bad_login"], "wump: 'bad_login' is not a GitHub login"),
        (["package", "cpan", "Moose"], "wump: unknown ecosystem 'cpan'"),
        (["repo", "no-slash"], "wump: 'no-slash' is not a repository full name"),
    ],
)
def test_bad_subjects_are_one_line_errors(arguments: list[str], message: str) -> None:
    result = runner.invoke(cli, ["ingest", *arguments])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message)
