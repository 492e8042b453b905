"""One embedded PostgreSQL data directory migrated to head per test run, copied where a test
needs a server of its own: initdb and the migrations cost seconds of CPU apiece."""

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import filelock

# The database and migration stacks are imported where they are used: pytest-xdist's
# controlling process imports this module (for template_path) and never builds a template.


def _run_pid() -> int:
    # pytest-xdist's workers are children of the process that runs the session.
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


def template_path(run_pid: int) -> Path:
    """Where the run of `run_pid` keeps its template: not below pytest's own temporary
    directory, which each new pytest session makes private again (chmod 700), shutting the
    server's own user out of a template being built."""
    return Path(tempfile.gettempdir()) / f"wump-migrated-{run_pid}"


async def _build(template: Path) -> None:
    from app.core import migrate as migrations
    from app.core.embedded import EmbeddedPostgres, ensure_database

    postgres = EmbeddedPostgres(template)
    database_url = postgres.start()
    try:
        await ensure_database(database_url)
        await asyncio.to_thread(migrations.upgrade, database_url)
        await _without_durability(database_url)
    finally:
        postgres.stop()


async def _without_durability(database_url: str) -> None:
    """A test server outlives no crash: commits do not wait for the disk (in the copies, which
    start with the template's settings). Every test commits, and each wait for a flush left a
    core idle."""
    import asyncpg

    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            await connection.execute(f"ALTER SYSTEM SET {name} = off")
    finally:
        await connection.close()


def copy_migrated_postgres(data_dir: Path) -> Path:
    """`data_dir` with `postgres/` in it: a stopped server whose `wump` database is at the
    migrations' head, as a first `wump serve` leaves it. The first worker to ask builds the
    run's template; the others wait for it. Blocking: call it from a thread inside an event
    loop."""
    from app.core import migrate as migrations

    template = template_path(_run_pid())
    head = migrations.head_revision() or ""
    with filelock.FileLock(f"{template}.lock"):
        ready = template / "ready"
        if not ready.exists() or ready.read_text() != head:
            shutil.rmtree(template, ignore_errors=True)
            asyncio.run(_build(template))
            ready.write_text(head)
    data_dir.mkdir(parents=True, exist_ok=True)
    # `cp -a` keeps the owner: as root, the server runs as a user of its own.
    subprocess.run(["cp", "-a", str(template / "postgres"), str(data_dir / "postgres")], check=True)
    # The template's server is stopped; no process of its own may be remembered as its user.
    (data_dir / "postgres" / ".handle_pids.json").unlink(missing_ok=True)
    return data_dir
