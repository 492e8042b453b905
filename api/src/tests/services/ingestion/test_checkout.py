"""Local checkouts: `ingest_checkout` and `wump scan --ingest` against a real database."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings
from app.providers.base import ProviderRegistry
from app.services.ingestion import IngestionService
from app.services.usage_cache import UsageCache
from tests.services.ingestion.conftest import committed_login, dependency_rows, repositories


def checkout(root: Path, broken: bool = False) -> Path:
    (root / "web").mkdir(parents=True)
    (root / "package.json").write_text('{"dependencies": {"Left-Pad": "^1.3.0"}}')
    (root / "web" / "requirements.txt").write_text("Django==5.1\n")
    if broken:
        (root / "Cargo.toml").write_text("[dependencies\n")
    return root


async def test_checkout_is_stored_as_a_repository_of_the_organization(
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    cache: Redis,
    tmp_path: Path,
) -> None:
    service = IngestionService(session_factory, ProviderRegistry(), UsageCache(cache))
    await service.ingest_checkout("acme", "tools", checkout(tmp_path / "one"))
    (tmp_path / "two").mkdir()

    report = await service.ingest_checkout("acme", "tools", checkout(tmp_path / "two", True))

    assert (report.repositories, [f.full_name for f in report.failures]) == (1, ["acme/tools"])
    assert report.failures[0].reason.startswith("Cargo.toml: ")
    assert await dependency_rows(session) == [
        ("acme/tools", "npm", "Left-Pad", "package.json", "^1.3.0", "runtime", True, "local"),
        ("acme/tools", "pypi", "django", "web/requirements.txt", "==5.1", "runtime", True, "local"),
    ]
    tools = (await repositories(session))["acme/tools"]
    assert tools.scan_error is not None
    assert tools.scan_error.startswith("1 file(s) failed: Cargo.toml: ")


@pytest.fixture
async def cli_login(engine: AsyncEngine) -> AsyncIterator[str]:
    """A login of its own; the CLI commits, so its rows are removed afterwards."""
    async with committed_login(engine, "cli") as login:
        yield login


async def test_scan_ingest_command_stores_the_checkout_and_exits_1_on_file_errors(
    settings: Settings, engine: AsyncEngine, cli_login: str, tmp_path: Path
) -> None:
    root = tmp_path / "my-service"
    root.mkdir()
    (root / "package.json").write_text(f'{{"dependencies": {{"{cli_login}-pkg": "1.0.0"}}}}')
    (root / "go.mod").write_text("this is not a go.mod\nrequire (\n")
    environment = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "VALKEY_URL": str(settings.valkey_url),
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "scan",
        str(root),
        "--ingest",
        "--org",
        cli_login,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()

    assert process.returncode == 1, stderr.decode()
    assert stdout.decode().strip() == (
        f"stored {cli_login}/my-service: 1 dependency row(s) written, 1 file(s) with errors"
    )
    assert stderr.decode().startswith("error: go.mod: ")
    async with engine.connect() as connection:
        stored = await connection.execute(
            text(
                "SELECT r.full_name, p.name, d.source FROM dependencies d"
                " JOIN repositories r ON r.id = d.repository_id"
                " JOIN packages p ON p.id = d.package_id WHERE p.name = :name"
            ),
            {"name": f"{cli_login}-pkg"},
        )
        assert [tuple(row) for row in stored] == [
            (f"{cli_login}/my-service", f"{cli_login}-pkg", "local")
        ]


def test_scan_ingest_without_org_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--ingest"])

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "wump scan: error: --ingest needs --org LOGIN, the organization the checkout belongs to"
    )


@pytest.mark.parametrize("org", ["acme-", "a--b"])
def test_scan_ingest_refuses_an_org_github_would_refuse(tmp_path: Path, org: str) -> None:
    """The same rules as an ingest job's subject, before any database is touched."""
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--ingest", "--org", org])

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"wump scan: error: --org {org!r} is not a GitHub login (letters, digits and -)"
    )
