"""`wump keys create|list|revoke`: API key administration from a shell on the server."""

from __future__ import annotations

import asyncio
import getpass
import re
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError

from app.cli.common import database_settings, fail, settings_or_exit
from app.cli.root import PLAIN_HELP, cli
from app.core.errors import ApiKeyNotFound
from app.schemas.api_key import ApiKeyCreate

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.schemas.api_key import ApiKeyRead
    from app.services.api_key import ApiKeyService

keys = typer.Typer(
    no_args_is_help=True, rich_markup_mode=PLAIN_HELP, help="Create, list and revoke API keys."
)
cli.add_typer(keys, name="keys")

T = TypeVar("T")
_DURATION = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`90d`, `12h`, `30m` or `2w`."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError("use a positive number and m, h, d or w, e.g. 90d")
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise ValueError("too long; at most 100 years") from None


async def _with_service(settings: Settings, action: Callable[[ApiKeyService], Awaitable[T]]) -> T:
    from app.core.cache import create_cache, resolve_valkey_url
    from app.core.db import create_engine, create_session_factory, unit_of_work
    from app.core.security import resolve_api_key_secret
    from app.services.api_key import ApiKeyService, KeyCache

    engine = create_engine(settings)
    # The servers' Valkey, so a revocation also clears the key's cached lookup there.
    cache = create_cache(settings) if resolve_valkey_url(settings) is not None else None
    session_scope = asynccontextmanager(unit_of_work)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            key_cache = KeyCache(cache, settings.api_key_last_used_interval)
            service = ApiKeyService(session, resolve_api_key_secret(settings), settings, key_cache)
            return await action(service)
    finally:
        if cache is not None:
            await cache.aclose()
        await engine.dispose()


def _run(action: Callable[[ApiKeyService], Awaitable[T]]) -> T:
    from sqlalchemy.exc import DBAPIError

    from app.core.logging import configure_logging

    settings = settings_or_exit()
    # Logs go to stderr, so stdout carries only what the command prints (the key, for create).
    configure_logging(settings.log_level, settings.effective_log_format)
    with database_settings(settings) as settings:
        try:
            return asyncio.run(_with_service(settings, action))
        except (OSError, DBAPIError) as error:
            fail(f"cannot use the database: {error}", code=1)


@keys.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    tier: Annotated[str, typer.Option(help="free, pro or enterprise.")] = "free",
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, ingest, admin.")] = "read",
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="Requests per minute instead of the tier's.")
    ] = None,
    expires_in: Annotated[
        str | None, typer.Option(help="Lifetime, e.g. 90d, 12h, 2w; never expires if unset.")
    ] = None,
) -> None:
    """Issue a key and print it once: only its HMAC is stored, so it cannot be shown again."""
    try:
        lifetime = parse_duration(expires_in) if expires_in else None
    except ValueError as error:
        fail(f"invalid key: --expires-in: {error}")
    try:
        request = ApiKeyCreate.model_validate(
            {
                "name": name,
                "tier": tier,
                "scopes": [scope.strip() for scope in scopes.split(",") if scope.strip()],
                "rate_limit": rate_limit,
                "expires_in": lifetime,
            }
        )
    except ValidationError as error:
        problems = "; ".join(
            f"--{str(item['loc'][0]).replace('_', '-')}: {item['msg']}" for item in error.errors()
        )
        fail(f"invalid key: {problems}")
    created = _run(lambda service: service.create(request, created_by=f"cli:{getpass.getuser()}"))
    typer.echo(created.key)
    typer.echo(
        f"Created {created.key_prefix}... ({created.id}). Store the key now: "
        "it is not shown again.",
        err=True,
    )


@keys.command("list")
def list_keys(
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List keys: prefix, name, tier, scopes, limit and state; never the keys themselves."""
    listed = _run(lambda service: service.list_keys(include_revoked=include_revoked))
    if as_json:
        for key in listed:
            typer.echo(key.model_dump_json())
        return
    rows: list[tuple[str, ...]] = [
        ("ID", "PREFIX", "NAME", "TIER", "SCOPES", "LIMIT", "STATE", "LAST USED")
    ]
    rows += [_row(key) for key in listed]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def _row(key: ApiKeyRead) -> tuple[str, ...]:
    now = datetime.now(UTC)
    if key.revoked_at is not None:
        state = "revoked"
    elif key.expires_at is not None and key.expires_at <= now:
        state = "expired"
    elif key.expires_at is not None:
        state = f"expires {key.expires_at:%Y-%m-%d}"
    else:
        state = "active"
    last_used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
    return (
        str(key.id),
        key.key_prefix,
        key.name,
        key.tier,
        ",".join(key.scopes),
        str(key.rate_limit) if key.rate_limit else "tier",
        state,
        last_used,
    )


@keys.command("revoke")
def revoke(key_id: Annotated[uuid.UUID, typer.Argument(help="The key's id (see `list`).")]) -> None:
    """Revoke a key at once; requests with it get 401 from then on."""
    try:
        revoked = _run(lambda service: service.revoke(key_id))
    except ApiKeyNotFound as error:
        fail(error.detail, code=1)
    typer.echo(f"Revoked {revoked.key_prefix}... ({revoked.id}) at {revoked.revoked_at}.")
