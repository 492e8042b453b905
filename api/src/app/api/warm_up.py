"""The start's warm-up: the app asks itself for the most used package's users, as a visitor."""

import asyncio
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from app.api.state import app_state
from app.core.logging import get_logger
from app.services.package import PackageService
from app.services.usage_cache import UsageCache

log = get_logger(__name__)
# A database that is down, empty or slow delays start by at most this, and never stops it.
WARM_UP_SECONDS = 3.0


async def warm_up(app: FastAPI) -> None:
    """Asks the app, in process, for the most used package's users, plain and under a language
    filter: the first real request then finds the framework's lazily built routes, the
    statements compiled, the connection's types known to asyncpg and the package's pages in
    memory (and the plain answer cached)."""
    state = app_state(app)
    try:
        async with asyncio.timeout(WARM_UP_SECONDS):
            async with state.read_session_factory() as session:
                service = PackageService(session, UsageCache(state.cache), state.settings)
                package = await service.most_used()
            if package is None:
                return
            name = quote(package.name, safe="/@:")
            path = f"/api/v1/packages/{package.ecosystem.value}/{name}/users"
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
            base = "https://localhost"
            async with httpx.AsyncClient(transport=transport, base_url=base) as client:
                plain = await client.get(path)
                items = plain.json().get("items", []) if plain.is_success else []
                languages = [language for item in items for language in item["languages"]]
                if languages:
                    await client.get(path, params={"language": languages[0], "limit": 1})
    except Exception as error:
        log.warning("app.warm_up.failed", error=type(error).__name__)
        return
    log.info("app.warm_up.done", package=package.purl, status=plain.status_code)
