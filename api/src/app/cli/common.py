"""What every command shares: settings that fail as one readable line."""

from typing import NoReturn

import typer

from app.core.config import Settings, SettingsError, load_settings


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"wump: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error))
