"""`wump parse` and `wump scan`: read manifests and lockfiles from the local disk."""

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from app.cli.common import settings_or_exit
from app.cli.root import cli
from app.core.github_names import is_login, is_repository_name
from app.manifests import ManifestParseError, ManifestResult
from app.services.manifest import ManifestService, ScanResult

_DEPENDENCY_FIELDS = (
    "ecosystem",
    "name",
    "requirement",
    "version",
    "type",
    "direct",
    "path",
    "line",
    "via",
)


class OutputFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="json (one object) or table (for people).")
]


@cli.command("parse")
def parse_command(
    file: Annotated[Path, typer.Argument(help="The manifest or lockfile to read.")],
    filename: Annotated[
        str | None,
        typer.Option(help="The manifest name the bytes stand for, e.g. pnpm-lock.yaml."),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Parse one manifest or lockfile and print its dependencies."""
    try:
        result = _service().parse_file(file, filename)
    except ManifestParseError as exc:
        typer.echo(f"wump parse: error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(_result_json(result), ensure_ascii=False))
    else:
        _print_table(result)


@cli.command("scan")
def scan_command(
    directory: Annotated[Path, typer.Argument(help="A checkout to walk.")],
    output: FormatOption = OutputFormat.TABLE,
    ingest: Annotated[
        bool, typer.Option("--ingest", help="Store the dependencies in wump's database.")
    ] = False,
    org: Annotated[
        str | None, typer.Option(help="With --ingest: the organization the checkout belongs to.")
    ] = None,
    repository: Annotated[
        str | None,
        typer.Option(help="With --ingest: the repository name (default: the folder's name)."),
    ] = None,
) -> None:
    """Find and parse every manifest and lockfile under a folder.

    Exits 1 when some files could not be parsed (the others are still listed or stored).
    """
    if not directory.is_dir():
        typer.echo(f"wump scan: error: {directory}: not a directory", err=True)
        raise typer.Exit(code=2)
    if ingest or org is not None or repository is not None:
        _ingest_checkout(directory, ingest=ingest, org=org, repository=repository)
        return
    scan = _service().scan(directory)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(_scan_json(scan), ensure_ascii=False))
    else:
        for result in scan.results:
            _print_table(result)
            typer.echo("")
        for error in scan.errors:
            typer.echo(f"error: {error.path}: {error.reason}", err=True)
        typer.echo(f"{len(scan.results)} file(s) parsed, {len(scan.errors)} with errors")
    if scan.errors:
        raise typer.Exit(code=1)


def _ingest_checkout(
    directory: Path, *, ingest: bool, org: str | None, repository: str | None
) -> None:
    name = repository or directory.resolve().name
    if not ingest:
        _scan_error("--org and --repository only apply with --ingest")
    if org is None:
        _scan_error("--ingest needs --org LOGIN, the organization the checkout belongs to")
    if not is_login(org):
        _scan_error(f"--org {org[:50]!r} is not a GitHub login (letters, digits and -)")
    if not is_repository_name(name):
        _scan_error(f"repository name {name[:120]!r} is not valid; pass --repository NAME")
    from app.cli.checkout import run_checkout_ingest

    report = run_checkout_ingest(settings_or_exit(), org, name, directory)
    for failure in report.failures:
        typer.echo(f"error: {failure.reason}", err=True)
    typer.echo(
        f"stored {org}/{name}: {report.records_processed} dependency row(s) written,"
        f" {len(report.failures)} file(s) with errors"
    )
    if report.failures:
        raise typer.Exit(code=1)


def _scan_error(message: str) -> NoReturn:
    typer.echo(f"wump scan: error: {message}", err=True)
    raise typer.Exit(code=2)


def _service() -> ManifestService:
    settings = settings_or_exit()
    return ManifestService(
        max_bytes=settings.manifest_max_bytes, via_limit=settings.manifest_via_limit
    )


def _result_json(result: ManifestResult) -> dict[str, Any]:
    return {
        "path": result.path,
        "format": result.format,
        "root": dataclasses.asdict(result.root) if result.root else None,
        "dependencies": [
            {field: getattr(dep, field) for field in _DEPENDENCY_FIELDS}
            for dep in result.dependencies
        ],
        "problems": list(result.problems),
    }


def _scan_json(scan: ScanResult) -> dict[str, Any]:
    return {
        "root": scan.root,
        "files": [_result_json(result) for result in scan.results],
        "errors": [dataclasses.asdict(error) for error in scan.errors],
    }


def _print_table(result: ManifestResult) -> None:
    root = f" ({result.root.name} {result.root.version or ''})".rstrip() if result.root else ""
    typer.echo(f"{result.path} [{result.format}]{root}: {len(result.dependencies)} dependencies")
    rows = [
        (
            dep.ecosystem or "-",
            dep.name,
            dep.requirement or "-",
            dep.version or "-",
            dep.type or "-",
            {True: "direct", False: "transitive", None: "-"}[dep.direct],
            f"via {', '.join(dep.via)}" if dep.via else "",
        )
        for dep in result.dependencies
    ]
    if rows:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            typer.echo(
                "  "
                + "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
    for problem in result.problems:
        typer.echo(f"  note: {problem}")
