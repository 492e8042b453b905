"""The root Typer application that every command group registers on."""

import typer

# Plain click help: typer's rich help labels every flag with a type, as in `--help <bool>`.
PLAIN_HELP = None

cli = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=PLAIN_HELP,
    help="wump: who's using my package?",
)
