"""The async SQLAlchemy engine, the session factory and the per-request unit of work."""

from collections.abc import AsyncGenerator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.core.embedded import read_runtime_urls
from app.core.metrics import InstrumentedPool
from app.core.telemetry import trace_engine

# Without a URL the process talks to nothing; this placeholder makes that fail fast and clearly.
UNCONFIGURED_URL = "postgresql+asyncpg://wump@127.0.0.1:1/wump"


def resolve_database_url(settings: Settings) -> str | None:
    """The configured URL, else the embedded server of a `wump serve` running on the data dir."""
    if settings.database_url is not None:
        return settings.database_url
    running = read_runtime_urls(settings.wump_data_dir)
    return running.database_url if running is not None else None


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the pooled engine; it connects lazily, so a down database never stops start-up."""
    engine = create_async_engine(
        resolve_database_url(settings) or UNCONFIGURED_URL,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_recycle=settings.database_pool_recycle,
        pool_pre_ping=True,
        poolclass=InstrumentedPool,
        # Bounds how long a request waits for a connection to a database that does not answer.
        connect_args={"timeout": settings.health_check_timeout},
    )
    trace_engine(engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
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
