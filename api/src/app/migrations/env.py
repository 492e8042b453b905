"""Alembic environment: async engine, one advisory lock so replicas never migrate at once."""

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import get_settings
from app.core.embedded import EmbeddedPostgres, ensure_database, read_runtime_urls
from app.models import Base
from app.models.base import include_object

MIGRATION_LOCK_KEY = 0x77756D70  # "wump"

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_object=include_object,
    )
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()


async def _run_with_url(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _database_url() -> tuple[str, EmbeddedPostgres | None]:
    given: str | None = config.attributes.get("database_url")
    if given is not None:
        return given, None
    settings = get_settings()
    if settings.database_url is not None:
        return settings.database_url, None
    running = read_runtime_urls(settings.wump_data_dir)
    if running is not None and running.database_url is not None:
        return running.database_url, None
    embedded = EmbeddedPostgres(settings.wump_data_dir)
    url = embedded.start()
    asyncio.run(ensure_database(url))
    return url, embedded


def run_migrations_online() -> None:
    connection: Any = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url, embedded = _database_url()
    try:
        asyncio.run(_run_with_url(url))
    finally:
        if embedded is not None:
            embedded.stop()


if context.is_offline_mode():
    context.configure(url=get_settings().database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
