"""`wump dev fake-upstream`: serve the local stand-in for GitHub and ecosyste.ms."""

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail
from app.cli.root import PLAIN_HELP, cli

dev = typer.Typer(no_args_is_help=True, rich_markup_mode=PLAIN_HELP, help="Development helpers.")
cli.add_typer(dev, name="dev")


@dev.command("fake-upstream")
def fake_upstream(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to bind.")] = 8900,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    scenario: Annotated[
        Path | None,
        typer.Option(
            help="Scenario file (YAML or JSON): organizations, packages, faults."
            " Default: a small demo organization."
        ),
    ] = None,
    fixtures: Annotated[
        Path | None,
        typer.Option(help="Recorded fixtures folder holding index.json, replayed first."),
    ] = None,
) -> None:
    """Serve GitHub REST/GraphQL and ecosyste.ms endpoints from a scenario and recorded fixtures."""
    import uvicorn

    from app.providers.fake_upstream import DEMO_SCENARIO, create_fake_upstream, load_scenario

    scenario = scenario or DEMO_SCENARIO
    try:
        loaded = load_scenario(scenario)
    except (OSError, ValueError) as error:
        fail(f"cannot read scenario {scenario}: {error}")
    if fixtures is not None and not (fixtures / "index.json").is_file():
        fail(f"{fixtures} holds no index.json")
    app = create_fake_upstream(loaded, fixtures_dir=fixtures)
    base = f"http://{host}:{port}"
    typer.echo(f"GITHUB_API_URL={base}/github")
    typer.echo(f"GITHUB_GRAPHQL_URL={base}/github/graphql")
    typer.echo(f"ECOSYSTEMS_API_URL={base}/ecosystems/api/v1")
    typer.echo(f"ECOSYSTEMS_PACKAGES_API_URL={base}/ecosystems-packages/api/v1")
    # GitHub's GraphQL API (sponsorship signals) is only asked with a token; the fake takes any.
    typer.echo("GITHUB_TOKEN=fake-upstream-token")
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
