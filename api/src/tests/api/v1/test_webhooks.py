"""Webhook API: subscribe (scope, validation, the secret shown once), read, ping, the delivery
log with every attempt, delete."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Package
from app.services.webhook import queue_event_deliveries
from tests.api._auth import assert_problem, issue_key
from tests.clients import app_client
from tests.services.webhooks.conftest import (
    DelivererFactory,
    Receiver,
    start_using_left_pad,
)

HOOK = {"url": "https://hooks.example/wump", "purls": ["pkg:npm/left-pad", "pkg:pypi/Django"]}


async def test_a_webhooks_key_subscribes_and_reads_an_endpoint(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        key = await issue_key(app, session, scopes=["webhooks"])
        headers = {"X-API-Key": key.key}
        created = await client.post("/api/v1/webhooks", json=HOOK, headers=headers)
        assert created.status_code == 201, created.text
        body = created.json()
        read = await client.get(created.headers["location"], headers=headers)

    assert body["secret"].startswith("whsec_")
    assert body["purls"] == ["pkg:npm/left-pad", "pkg:pypi/django"]
    assert (body["event_types"], body["include_initial"], body["is_active"]) == (
        ["changed", "started", "stopped"],
        False,
        True,
    )
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.json()["id"] == body["id"]


async def test_webhooks_need_the_webhooks_or_admin_scope(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        reader = await issue_key(app, session, scopes=["read", "ingest"])
        admin = await issue_key(app, session, scopes=["admin"])
        refused = await client.post(
            "/api/v1/webhooks", json=HOOK, headers={"X-API-Key": reader.key}
        )
        allowed = await client.post("/api/v1/webhooks", json=HOOK, headers={"X-API-Key": admin.key})

    assert_problem(refused, 403, "missing_scope")
    assert allowed.status_code == 201


async def test_unusable_urls_purls_and_secrets_are_refused(
    settings: Settings, session: AsyncSession
) -> None:
    cases: list[dict[str, Any]] = [
        {**HOOK, "url": "http://hooks.example/wump"},
        {**HOOK, "url": "https://user:pw@hooks.example/"},
        {**HOOK, "purls": ["pkg:nosuchtype/x"]},
        {**HOOK, "secret": "whsec_c2hvcnQ="},
    ]
    async with app_client(settings, session) as (app, client):
        key = await issue_key(app, session, scopes=["webhooks"])
        answers = [
            await client.post("/api/v1/webhooks", json=case, headers={"X-API-Key": key.key})
            for case in cases
        ]
        missing = await client.get(
            "/api/v1/webhooks/0190f3c2-0000-7000-8000-000000000000",
            headers={"X-API-Key": key.key},
        )

    for answer in answers:
        assert_problem(answer, 422, "invalid_webhook")
    assert_problem(missing, 404, "webhook_not_found")


async def test_the_delivery_log_shows_each_attempt_and_a_ping_is_queued(
    settings: Settings,
    hook_settings: Settings,
    session: AsyncSession,
    receiver: Receiver,
    deliverer: DelivererFactory,
) -> None:
    receiver.statuses = [500, 204]
    async with app_client(hook_settings, session) as (app, client):
        key = await issue_key(app, session, scopes=["webhooks"])
        headers = {"X-API-Key": key.key}
        hook = (
            await client.post(
                "/api/v1/webhooks", json={**HOOK, "url": receiver.url}, headers=headers
            )
        ).json()
        await queue_event_deliveries(session, await start_using_left_pad(session))
        send = deliverer(hook_settings)
        log = (
            await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=headers)
        ).json()
        (delivery,) = log["items"]
        await send.deliver(delivery["id"])
        await send.deliver(delivery["id"])
        ping = await client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=headers)
        log = (
            await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=headers)
        ).json()
        deleted = await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=headers)
        gone = await client.get(f"/api/v1/webhooks/{hook['id']}", headers=headers)

    assert ping.status_code == 202
    assert (ping.json()["kind"], ping.json()["status"]) == ("ping", "pending")
    newest, first = log["items"]
    assert newest["id"] == ping.json()["id"]
    assert (first["kind"], first["status"]) == ("usage_event", "delivered")
    assert [(a["status_code"], a["error"]) for a in first["attempts"]] == [
        (500, "HTTP 500"),
        (204, None),
    ]
    assert all(a["latency_ms"] >= 0 for a in first["attempts"])
    assert deleted.status_code == 204
    assert_problem(gone, 404, "webhook_not_found")


async def test_a_key_sees_only_its_own_webhooks_and_an_admin_key_all(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        owner = await issue_key(app, session, scopes=["webhooks"])
        other = await issue_key(app, session, scopes=["webhooks"])
        admin = await issue_key(app, session, scopes=["admin"])
        created = await client.post("/api/v1/webhooks", json=HOOK, headers={"X-API-Key": owner.key})
        url = created.headers["location"]
        hidden = await client.get(url, headers={"X-API-Key": other.key})
        not_deleted = await client.delete(url, headers={"X-API-Key": other.key})
        seen = await client.get(url, headers={"X-API-Key": admin.key})
        still = await client.get(url, headers={"X-API-Key": owner.key})

    assert_problem(hidden, 404, "webhook_not_found")
    assert_problem(not_deleted, 404, "webhook_not_found")
    assert (seen.status_code, still.status_code) == (200, 200)


async def test_a_webhook_follows_a_maintainers_portfolio_and_refuses_unknown_logins(
    settings: Settings, session: AsyncSession
) -> None:
    session.add(
        Package(
            ecosystem="npm",
            name="portfolio-kit",
            repository_url="https://github.com/Sindre/portfolio-kit",
            source_owner="sindre",
        )
    )
    await session.flush()
    url = HOOK["url"]
    cases: list[dict[str, Any]] = [
        {"url": url, "maintainers": ["-bad-login-"]},
        {"url": url, "maintainers": ["sindre", "nobody-owns-this"]},
        {"url": url},
        {"url": url, "purls": [], "maintainers": []},
    ]
    async with app_client(settings, session) as (app, client):
        headers = {"X-API-Key": (await issue_key(app, session, scopes=["webhooks"])).key}
        created = await client.post(
            "/api/v1/webhooks",
            json={"url": url, "maintainers": ["Sindre", "sindre"]},
            headers=headers,
        )
        read = await client.get(created.headers["location"], headers=headers)
        refused = [await client.post("/api/v1/webhooks", json=c, headers=headers) for c in cases]

    assert created.status_code == 201, created.text
    assert (read.json()["purls"], read.json()["maintainers"]) == ([], ["sindre"])
    details = [assert_problem(answer, 422, "invalid_webhook")["detail"] for answer in refused]
    assert "'-bad-login-' is not a GitHub login" in details[0]
    assert "'nobody-owns-this'" in details[1]
    assert "'sindre'" not in details[1]
    assert "purls" in details[2]
    assert "maintainers" in details[2]
    assert details[3] == details[2]
