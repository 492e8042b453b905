"""The one way tests build the application and an HTTP client for it."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
from app.core.config import Settings
from app.main import create_app


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
    (extra routes, overrides).
    """
    app = create_app(settings)
    if session is not None:

        async def test_session() -> AsyncIterator[AsyncSession]:
            yield session

        app.dependency_overrides[get_session] = test_session
    if configure is not None:
        configure(app)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions, client=client)
        async with AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http
