"""The `wump` command starts fast: what a command needs is imported when it runs, so `wump parse`
or `wump --help` never load the database, queue, cache or web stacks."""

import subprocess
import sys

HEAVY = (
    "alembic",
    "asyncpg",
    "fastapi",
    "httpx",
    "procrastinate",
    "psycopg",
    "redis",
    "sqlalchemy",
    "uvicorn",
)


def test_loading_the_command_imports_no_server_stack() -> None:
    probe = (
        "import sys, app.cli\n"
        f"heavy = {HEAVY!r}\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert loaded.stdout.split() == []


def test_every_command_group_is_still_registered() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    for command in ("serve", "migrate", "worker", "ingest", "parse", "scan", "keys", "dev"):
        assert f" {command} " in shown.stdout


def test_importing_wump_collects_garbage_first_after_its_start_then_as_usual() -> None:
    # In a fresh interpreter, as a command or a worker of `wump serve --workers N` starts.
    probe = (
        "import gc\n"
        "usual = gc.get_threshold()\n"
        "import app\n"
        "starting = gc.get_threshold()\n"
        "gc.collect()\n"
        "print(starting[0] == app.START_ALLOCATIONS, gc.get_threshold() == usual)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert shown.stdout.split() == ["True", "True"]
