"""What every command shares: settings that fail as one readable line, and the database a
command uses."""

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

import typer

from app.core.config import Settings, SettingsError, load_settings


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"wump: {message}", err=True)
    raise typer.Exit(code)


def _exit_cleanly(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def exit_cleanly_on_stop_signals() -> None:
    """SIGINT and SIGTERM end the command as a normal exit, so its `finally` blocks run (the
    embedded servers it started are stopped) instead of the signal killing it."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _exit_cleanly)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error))


@contextmanager
def database_settings(settings: Settings) -> Iterator[Settings]:
    """The settings with the database this command uses: DATABASE_URL, else the embedded
    server of a `wump serve` running on this data directory, else the embedded server started
    (and migrated) for this command alone and stopped when it ends."""
    from app.core.db import resolve_database_url

    url = resolve_database_url(settings)
    if url is not None:
        yield settings.model_copy(update={"database_url": url})
        return
    from app.core import migrate as migrations
    from app.core.embedded import EmbeddedError, EmbeddedPostgres, ensure_database

    embedded = EmbeddedPostgres(settings.wump_data_dir)
    try:
        try:
            url = embedded.start()
            asyncio.run(ensure_database(url))
            migrations.upgrade(url)
        except EmbeddedError as error:
            fail(str(error))
        yield settings.model_copy(update={"database_url": url})
    finally:
        embedded.stop()
