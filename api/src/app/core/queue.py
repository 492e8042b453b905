"""The job queue: procrastinate's tables in wump's own database, reached through psycopg."""

import math

import procrastinate
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import UNCONFIGURED_URL, resolve_database_url

_LIBPQ_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def to_libpq_url(database_url: str) -> str:
    """The same database as a libpq URL: no driver suffix, asyncpg's `ssl` as `sslmode`."""
    url = make_url(database_url)
    query = dict(url.query)
    ssl = query.pop("ssl", None)
    if isinstance(ssl, str) and "sslmode" not in query:
        query["sslmode"] = ssl if ssl in _LIBPQ_SSL_MODES else "require"
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


def create_queue(settings: Settings, *, max_connections: int) -> procrastinate.App:
    """A procrastinate App on a lazy pool: opening it connects to nothing, so a database that is
    down at start-up fails the first deferral, not the process."""
    connector = procrastinate.PsycopgConnector(
        conninfo=to_libpq_url(resolve_database_url(settings) or UNCONFIGURED_URL),
        min_size=0,
        max_size=max_connections,
        timeout=settings.health_check_timeout,
        kwargs={"connect_timeout": max(1, math.ceil(settings.health_check_timeout))},
    )
    # Workers register the tasks (app.jobs.tasks.register); the API defers them by name only.
    return procrastinate.App(connector=connector)
