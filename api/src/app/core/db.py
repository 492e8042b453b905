"""The async SQLAlchemy engine, the session factory and the per-request unit of work."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.core.embedded import read_runtime_urls
from app.core.logging import get_logger
from app.core.metrics import InstrumentedPool
from app.core.telemetry import trace_engine

log = get_logger(__name__)

# Without a URL the process talks to nothing; this placeholder makes that fail fast and clearly.
UNCONFIGURED_URL = "postgresql+asyncpg://wump@127.0.0.1:1/wump"


def resolve_database_url(settings: Settings) -> str | None:
    """The configured URL, else the embedded server of a `wump serve` running on the data dir."""
    if settings.database_url is not None:
        return settings.database_url
    running = read_runtime_urls(settings.wump_data_dir)
    return running.database_url if running is not None else None


# Longest wait for a graceful goodbye before a connection is dropped: a stalled server never
# answers it, and the request that just gave up on that server must not wait for it either.
CLOSE_WAIT_S = 0.25


# asyncpg prepares every statement once per connection, and after five runs PostgreSQL may
# switch a prepared statement to one generic plan for any parameters. Usage is skewed (the most
# used package has thousands of dependents, most have a handful), so a plan fit for one package
# can be slow for another: the organizations behind a filtered page of the most used package
# took 80-210 ms on a generic plan against 12-19 ms planned for its own parameters. Requests
# plan every statement for its parameters instead (a fraction of a millisecond each). Jobs keep
# generic plans: their upserts run the same statement thousands of times, and planning each
# run cut a first ingest from 27,000 to 15,000 rows per second.
CUSTOM_PLANS = {"plan_cache_mode": "force_custom_plan"}


# Reads need no transaction block: at READ COMMITTED every statement takes its own snapshot
# either way. Outside one, a read request saves four round trips: BEGIN, COMMIT, and the BEGIN
# and ROLLBACK the driver wraps its pre-ping in on a connection that is not in autocommit.
# Writes ask for READ COMMITTED (`transactional`), the server's default.
AUTOCOMMIT = "AUTOCOMMIT"


def transactional(engine: AsyncEngine) -> AsyncEngine:
    """`engine`, sharing its pool, with every connection in a transaction block."""
    return engine.execution_options(isolation_level="READ COMMITTED")


class _QuicklyClosedConnection(asyncpg.Connection):  # type: ignore[misc]
    async def close(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 asyncpg's signature
        await super().close(timeout=min(timeout or CLOSE_WAIT_S, CLOSE_WAIT_S))


def create_engine(
    settings: Settings,
    url: str | None = None,
    *,
    statement_timeout: float | None = None,
    custom_plans: bool = False,
    autocommit: bool = False,
) -> AsyncEngine:
    """Build the pooled engine (on `url`, else the primary); it connects lazily, so a down
    database never stops start-up. `custom_plans`: every statement planned for its parameters
    (the request engines), never a prepared statement's generic plan. `autocommit`: statements
    run outside transactions unless a connection asks for one (`transactional`).

    Every statement is bounded twice: by the server's statement_timeout, and by the client, for
    a server that does not answer at all (stopped, or its host gone). Requests also bound each
    call as a whole (`BoundedSession`).
    """
    timeout = (
        settings.database_statement_timeout if statement_timeout is None else statement_timeout
    )
    connect_args: dict[str, Any] = {
        # Bounds how long a request waits for a connection to a database that does not answer.
        "timeout": settings.health_check_timeout,
        "connection_class": _QuicklyClosedConnection,
        "server_settings": dict(CUSTOM_PLANS) if custom_plans else {},
    }
    if timeout > 0:
        connect_args["server_settings"]["statement_timeout"] = str(round(timeout * 1000))
        connect_args["command_timeout"] = timeout + 1
    engine = create_async_engine(
        url or resolve_database_url(settings) or UNCONFIGURED_URL,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_recycle=settings.database_pool_recycle,
        pool_timeout=settings.database_pool_timeout,
        pool_pre_ping=True,
        poolclass=InstrumentedPool,
        connect_args=connect_args,
        **({"isolation_level": AUTOCOMMIT} if autocommit else {}),
    )
    trace_engine(engine)
    return engine


# What a database that cannot serve raises; is_database_unavailable() tells them from bugs.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeout, TimeoutError, OSError)


def is_database_unavailable(error: BaseException) -> bool:
    """True for failures that say the database cannot serve now (unreachable, stalled, shutting
    down, a statement over its timeout), as opposed to a bug: callers answer 503 for these."""
    if isinstance(error, PoolTimeout | TimeoutError | ConnectionError):
        return True
    if isinstance(error, DBAPIError):
        # InterfaceError: the driver's connection is gone ("the underlying connection is closed").
        if error.connection_invalidated or isinstance(error, InterfaceError):
            return True
        original = getattr(error, "orig", None)
        cause = getattr(original, "__cause__", None) or original
        if isinstance(cause, TimeoutError | OSError):
            return True
        sqlstate = getattr(cause, "sqlstate", None) or getattr(original, "sqlstate", None)
        # 57014 query_canceled (statement_timeout), 57P0x shutdown / cannot connect now,
        # 08xxx connection exceptions, 53300 too many connections.
        return isinstance(sqlstate, str) and (
            sqlstate in ("57014", "53300") or sqlstate.startswith(("57P", "08"))
        )
    # A missing Unix socket (FileNotFoundError) too: the server is down or restarting.
    return isinstance(error, OSError)


class BoundedSession(AsyncSession):
    """A session whose every database call ends within `budget` seconds, every wait included:
    for a pooled connection, for a new connection, the pre-ping and the statement. Those waits
    would otherwise add up (about 8 s for a 5 s statement timeout on a stalled server); here a
    stalled database costs one call one budget, then TimeoutError (a 503 for requests). A call
    cut short drops its connection, which the pool replaces."""

    def __init__(self, *args: Any, budget: float = 0.0, **kw: Any) -> None:
        super().__init__(*args, **kw)
        # Dropping the connection a call gave up on may take CLOSE_WAIT_S of the budget.
        self._budget = max(budget - CLOSE_WAIT_S, budget / 2)

    @contextlib.asynccontextmanager
    async def _bounded(self) -> AsyncIterator[None]:
        if self._budget <= 0:
            yield
            return
        async with asyncio.timeout(self._budget):
            yield

    async def execute(self, *args: Any, **kw: Any) -> Any:
        async with self._bounded():
            return await super().execute(*args, **kw)

    async def scalar(self, *args: Any, **kw: Any) -> Any:
        async with self._bounded():
            return await super().scalar(*args, **kw)

    async def scalars(self, *args: Any, **kw: Any) -> Any:
        async with self._bounded():
            return await super().scalars(*args, **kw)

    async def get(self, *args: Any, **kw: Any) -> Any:
        async with self._bounded():
            return await super().get(*args, **kw)

    async def refresh(self, *args: Any, **kw: Any) -> None:
        async with self._bounded():
            await super().refresh(*args, **kw)

    async def connection(self, *args: Any, **kw: Any) -> Any:
        async with self._bounded():
            return await super().connection(*args, **kw)

    async def flush(self, objects: Any = None) -> None:
        async with self._bounded():
            await super().flush(objects)

    async def commit(self) -> None:
        async with self._bounded():
            await super().commit()

    async def rollback(self) -> None:
        async with self._bounded():
            await super().rollback()

    async def close(self) -> None:
        async with self._bounded():
            await super().close()


def create_session_factory(
    engine: AsyncEngine, *, budget: float = 0.0
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; with a `budget`, each database call ends within it (requests)."""
    if budget > 0:
        return async_sessionmaker(
            engine, class_=BoundedSession, expire_on_commit=False, autoflush=False, budget=budget
        )
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncGenerator[AsyncSession]:
    """Yield a session that commits when the caller finishes and rolls back on any error."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def request_session(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncGenerator[AsyncSession]:
    """A request's session: rolled back on an error, committed when the request ends. Routers
    that write commit before the response, so this last commit has nothing left to do; a
    connection the database dropped after the reads (a restart) is logged, not raised, since
    the answer has already left."""
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(factory())
        try:
            yield session
        except BaseException:
            # A connection the database dropped cannot roll back; the first error is the one.
            with contextlib.suppress(*DATABASE_ERRORS):
                await session.rollback()
            raise
        try:
            await session.commit()
            await stack.aclose()
        except DATABASE_ERRORS as error:
            if not is_database_unavailable(error):
                raise
            log.warning("db.session.end_failed", error=repr(error))


async def check_database_connection(engine: AsyncEngine | None = None) -> bool:
    """True when the database answers a trivial query."""
    owned = engine is None
    if engine is None:
        from app.core.config import get_settings

        engine = create_engine(get_settings())
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        if owned:
            await engine.dispose()
