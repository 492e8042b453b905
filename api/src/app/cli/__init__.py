"""The `wump` command: one Typer application, one module per command group."""

from app.cli import dev as _dev  # noqa: F401  (registers commands)
from app.cli import fake_upstream as _fake_upstream  # noqa: F401  (registers commands)
from app.cli import jobs as _jobs  # noqa: F401  (registers commands)
from app.cli import keys as _keys  # noqa: F401  (registers commands)
from app.cli import manifests as _manifests  # noqa: F401  (registers commands)
from app.cli import server as _server  # noqa: F401  (registers commands)
from app.cli import webhooks as _webhooks  # noqa: F401  (registers commands)
from app.cli.root import cli


def main() -> None:
    cli()


__all__ = ["cli", "main"]
