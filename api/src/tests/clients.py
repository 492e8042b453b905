"""The one way tests build the application and an HTTP client for it."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
from app.core import telemetry
from app.core.config import Settings
from app.core.logging import configure_logging
from app.main import create_app

# Apps already built, with the tracer provider they were built under. FastAPI works out each
# route's dependencies on an app's first request (a tenth of a second or more); hundreds of
# tests build an app on the same few settings.
_BUILT: list[tuple[Settings, object, FastAPI]] = []
_IN_USE: set[int] = set()


def _app(settings: Settings) -> FastAPI:
    """An app on `settings`: one built before on equal settings, as create_app leaves it (no
    dependency overrides, middleware instances made afresh on its next request, the process's
    logging configured for it), or a new one."""
    provider = telemetry.current_provider()
    for built_settings, built_provider, app in _BUILT:
        if id(app) in _IN_USE:
            continue  # a client of an enclosing `app_client` still runs on it
        if built_provider is provider and built_settings == settings:
            configure_logging(settings.log_level, settings.effective_log_format)
            app.dependency_overrides.clear()
            app.middleware_stack = None
            return app
    app = create_app(settings)
    _BUILT.append((settings.model_copy(), provider, app))
    return app


@asynccontextmanager
async def app_client(
    settings: Settings,
    session: AsyncSession | None = None,
    *,
    client: tuple[str, int] = ("127.0.0.1", 50000),
    raise_app_exceptions: bool = False,
    configure: Callable[[FastAPI], None] | None = None,
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """The app built on `settings` and running its lifespan, with a client over ASGI.

    With `session`, the app's unit of work joins that session (the test transaction), so what a
    request writes is rolled back with the test. `configure` runs before the lifespan starts
    (extra routes, overrides) on an app of its own.
    """
    app = create_app(settings) if configure is not None else _app(settings)
    if session is not None:

        async def test_session() -> AsyncIterator[AsyncSession]:
            yield session

        app.dependency_overrides[get_session] = test_session
    if configure is not None:
        configure(app)
    _IN_USE.add(id(app))
    try:
        async with app.router.lifespan_context(app):
            transport = ASGITransport(
                app=app, raise_app_exceptions=raise_app_exceptions, client=client
            )
            async with AsyncClient(transport=transport, base_url="http://test") as http:
                yield app, http
    finally:
        _IN_USE.discard(id(app))
