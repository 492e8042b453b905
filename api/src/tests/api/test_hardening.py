"""Security headers, the body size limit, CORS with credentials, and keys kept out of logs."""

import logging
import re
from collections.abc import AsyncIterator, Iterator

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.security import generate_api_key
from tests.api._auth import assert_problem, issue_key, key_service
from tests.clients import app_client

pytestmark = pytest.mark.usefixtures("cache")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _Lines(logging.Handler):
    """Every log line exactly as the app renders it (the first root handler's formatter)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # httpx logs the test client's own request URLs; the app under test is what counts.
        if not record.name.startswith("httpx"):
            self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[_Lines]:
    handler = _Lines()
    yield handler
    logging.getLogger().removeHandler(handler)


def _listen(handler: _Lines) -> None:
    """Join the root logger next to the handler create_app just installed, with its formatter."""
    root = logging.getLogger()
    handler.setFormatter(root.handlers[0].formatter)
    if handler not in root.handlers:
        root.addHandler(handler)


async def test_every_answer_carries_security_headers(client: AsyncClient) -> None:
    for path in ("/health/live", "/api/v1/me", "/nowhere"):
        response = await client.get(path)

        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers


async def test_hsts_is_sent_only_when_the_service_is_https_only(
    settings: Settings, session: AsyncSession
) -> None:
    https = settings.model_copy(update={"https_only": True})
    async with app_client(https, session) as (_, client):
        response = await client.get("/health/live")

    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_declared_oversized_body_is_refused_with_413(
    settings: Settings, session: AsyncSession
) -> None:
    small = settings.model_copy(update={"request_body_max_bytes": 1024})
    async with app_client(small, session) as (_, client):
        response = await client.post("/api/v1/admin/keys", content=b"x" * 2048)

    body = assert_problem(response, 413, "payload_too_large")
    assert body["detail"] == "The request body exceeds 1024 bytes."
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_streamed_oversized_body_is_refused_with_413(
    settings: Settings, session: AsyncSession
) -> None:
    small = settings.model_copy(update={"request_body_max_bytes": 1024})

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 512

    async with app_client(small, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys", content=chunks(), headers={"X-API-Key": admin.key}
        )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload_too_large")


async def test_body_within_the_limit_is_accepted(settings: Settings, session: AsyncSession) -> None:
    small = settings.model_copy(update={"request_body_max_bytes": 1024})
    async with app_client(small, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys", json={"name": "small"}, headers={"X-API-Key": admin.key}
        )

    assert response.status_code == 201


async def _cors_preflight(settings: Settings, origins: list[str]) -> dict[str, str]:
    with_cors = settings.model_copy(update={"cors_origins": origins})
    async with app_client(with_cors, raise_app_exceptions=True) as (_, client):
        response = await client.get("/api/v1/me", headers={"Origin": "https://ui.example"})
    return dict(response.headers)


@pytest.mark.usefixtures("session")
async def test_wildcard_cors_never_allows_credentials(settings: Settings) -> None:
    headers = await _cors_preflight(settings, ["*"])

    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers


@pytest.mark.usefixtures("session")
async def test_listed_origin_gets_credentials_and_sees_the_limit_headers(
    settings: Settings,
) -> None:
    headers = await _cors_preflight(settings, ["https://ui.example"])

    assert headers["access-control-allow-origin"] == "https://ui.example"
    assert headers["access-control-allow-credentials"] == "true"
    exposed = {name.strip().lower() for name in headers["access-control-expose-headers"].split(",")}
    assert {"ratelimit", "ratelimit-policy", "x-ratelimit-remaining", "retry-after"} <= exposed


@pytest.mark.parametrize("log_format", ["json", "console"])
async def test_logs_never_contain_a_key(
    settings: Settings,
    session: AsyncSession,
    captured: _Lines,
    closed_port: int,
    log_format: str,
) -> None:
    chatty = settings.model_copy(update={"log_format": log_format, "log_level": "DEBUG"})
    async with app_client(chatty, session) as (app, client):
        _listen(captured)
        admin = await issue_key(app, session, scopes=["admin", "read"])
        made = await client.post(
            "/api/v1/admin/keys", json={"name": "leaky?"}, headers={"X-API-Key": admin.key}
        )
        new_key = made.json()["key"]
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_key}"})
        await client.get(f"/api/v1/me?api_key={new_key}")
        await client.get("/api/v1/me", headers={"X-API-Key": new_key[:-1] + "0"})
        await key_service(app, session).revoke(made.json()["id"])
        await client.get("/api/v1/me", headers={"X-API-Key": new_key})

    # A failure while a key is in hand (one not cached, so the lookup reaches the database):
    # the log line must not show it.
    uncached = generate_api_key()
    broken = chatty.model_copy(
        update={"database_url": f"postgresql+asyncpg://wump@127.0.0.1:{closed_port}/wump"}
    )
    async with app_client(broken) as (_, client):
        _listen(captured)
        failed = await client.get("/api/v1/me", headers={"X-API-Key": uncached})

    text = _ANSI.sub("", "\n".join(captured.lines))
    assert made.status_code == 201
    assert failed.status_code == 503
    assert "api_key.created" in text
    assert "http.database_unavailable" in text
    for key in (admin.key, new_key, uncached):
        secret_part = key[13:]
        # Any 10 characters of it would do: a console renderer may wrap a long value.
        for start in range(len(secret_part) - 10):
            assert secret_part[start : start + 10] not in text
