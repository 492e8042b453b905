"""The root Typer application that every command group registers on."""

import typer

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="wump: who's using my package?")
