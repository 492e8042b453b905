"""The application's typed state: what the lifespan opens, read by dependencies through
`app_state()` rather than as untyped attributes of `app.state`."""

from dataclasses import dataclass

import procrastinate
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.breaker import CircuitBreaker
from app.core.cache import Cache
from app.core.config import Settings
from app.core.rate_limit import FailureLimiter, RateLimiter
from app.services.api_key import KeyCache

_KEY = "wump"


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    # Sessions whose connections run in a transaction block: requests that write, jobs.
    session_factory: async_sessionmaker[AsyncSession]
    # Sessions on the same pool without one, for requests that only read (GET and HEAD).
    read_only_session_factory: async_sessionmaker[AsyncSession]
    # The streaming replica of DATABASE_READ_URL; without one, the primary's read-only factory.
    read_engine: AsyncEngine | None
    read_session_factory: async_sessionmaker[AsyncSession]
    cache: Cache
    valkey_breaker: CircuitBreaker
    rate_limiter: RateLimiter
    key_cache: KeyCache
    api_key_secret: bytes
    auth_failures: FailureLimiter
    queue: procrastinate.App


def set_app_state(app: FastAPI, state: AppState) -> None:
    setattr(app.state, _KEY, state)


def app_state(app_or_request: FastAPI | Request) -> AppState:
    """The state the lifespan opened; only valid while the application runs."""
    app = app_or_request.app if isinstance(app_or_request, Request) else app_or_request
    state: AppState = getattr(app.state, _KEY)
    return state
