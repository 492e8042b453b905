"""Authentication over HTTP: key headers, 401/403 problems, anonymous access, admin endpoints."""

import re
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.security import generate_api_key
from tests.api._auth import assert_problem, issue_key, key_service
from tests.clients import app_client

_PLACEHOLDER = "00000000-0000-7000-8000-000000000000"

pytestmark = pytest.mark.usefixtures("cache")


async def test_anonymous_caller_reads_by_default(client: AsyncClient) -> None:
    response = await client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json() == {
        "authenticated": False,
        "key_id": None,
        "key_prefix": None,
        "name": None,
        "tier": "anonymous",
        "scopes": ["read"],
        "rate_limit": 30,
    }


async def test_anonymous_caller_is_refused_when_the_setting_says_so(
    settings: Settings, session: AsyncSession
) -> None:
    closed = settings.model_copy(update={"anonymous_access": False})
    async with app_client(closed, session) as (app, client):
        key = await issue_key(app, session)
        anonymous = await client.get("/api/v1/me")
        with_key = await client.get("/api/v1/me", headers={"X-API-Key": key.key})

    body = assert_problem(anonymous, 401, "authentication_required")
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="wump"'
    assert "X-API-Key" in body["detail"]
    assert with_key.status_code == 200


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
async def test_key_is_accepted_in_either_header(
    settings: Settings, session: AsyncSession, header: str
) -> None:
    async with app_client(settings, session) as (app, client):
        key = await issue_key(app, session, tier="pro", scopes=["read", "admin"])
        value = key.key if header == "X-API-Key" else f"Bearer {key.key}"
        response = await client.get("/api/v1/me", headers={header: value})

    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "key_id": str(key.id),
        "key_prefix": key.key_prefix,
        "name": "test key",
        "tier": "pro",
        "scopes": ["admin", "read"],
        "rate_limit": 600,
    }


async def test_unusable_keys_all_get_the_same_401(
    settings: Settings, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_client(settings, session) as (app, client):
        revoked = await issue_key(app, session)
        await key_service(app, session).revoke(revoked.id)
        expiring = await issue_key(app, session, expires_in=60)
        assert expiring.expires_at is not None
        later = expiring.expires_at + timedelta(seconds=1)
        monkeypatch.setattr("app.services.api_key.utcnow", lambda: later)
        typo = revoked.key[:-1] + ("x" if revoked.key[-1] != "x" else "y")
        attempts = {
            "unknown": {"X-API-Key": generate_api_key()},
            "malformed": {"X-API-Key": "wump_123"},
            "typo": {"X-API-Key": typo},
            "revoked": {"X-API-Key": revoked.key},
            "expired": {"Authorization": f"Bearer {expiring.key}"},
            "other scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
        }
        answers = [await client.get("/api/v1/me", headers=h) for h in attempts.values()]

    bodies = set()
    for response in answers:
        body = assert_problem(response, 401, "invalid_api_key")
        assert response.headers["www-authenticate"] == 'Bearer realm="wump", error="invalid_token"'
        body.pop("request_id")
        bodies.add(tuple(sorted(body.items())))
    assert len(bodies) == 1


async def test_key_without_the_scope_gets_403(settings: Settings, session: AsyncSession) -> None:
    async with app_client(settings, session) as (app, client):
        reader = await issue_key(app, session, scopes=["read"])
        response = await client.get("/api/v1/admin/keys", headers={"X-API-Key": reader.key})

    body = assert_problem(response, 403, "missing_scope")
    assert body["required_scope"] == "admin"
    assert "www-authenticate" not in response.headers


async def test_anonymous_caller_on_an_admin_endpoint_gets_401(client: AsyncClient) -> None:
    response = await client.get("/api/v1/admin/keys")

    assert_problem(response, 401, "authentication_required")


async def test_admin_key_creates_uses_lists_and_revokes_a_key(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        auth = {"X-API-Key": admin.key}
        created = await client.post(
            "/api/v1/admin/keys",
            headers=auth,
            json={
                "name": "ci bot",
                "tier": "enterprise",
                "scopes": ["read", "ingest"],
                "expires_in": "P30D",
            },
        )
        new_key = created.json()["key"]
        used = await client.get("/api/v1/me", headers={"X-API-Key": new_key})
        listed = await client.get("/api/v1/admin/keys", headers=auth)
        revoked = await client.delete(f"/api/v1/admin/keys/{created.json()['id']}", headers=auth)
        after = await client.get("/api/v1/me", headers={"X-API-Key": new_key})
        listed_active = await client.get("/api/v1/admin/keys", headers=auth)
        listed_all = await client.get("/api/v1/admin/keys?include_revoked=true", headers=auth)

    assert created.status_code == 201
    assert created.json()["created_by"] == f"api:{admin.key_prefix}"
    assert created.json()["tier"] == "enterprise"
    assert created.json()["expires_at"] is not None
    assert used.status_code == 200
    assert used.json()["rate_limit"] == 6000
    listed_items = listed.json()["items"]
    assert created.json()["id"] in {item["id"] for item in listed_items}
    assert all("key" not in item for item in listed_items)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_problem(after, 401, "invalid_api_key")
    assert created.json()["id"] not in {item["id"] for item in listed_active.json()["items"]}
    assert created.json()["id"] in {item["id"] for item in listed_all.json()["items"]}


async def test_revoking_an_unknown_key_is_a_404_problem(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.delete(
            "/api/v1/admin/keys/00000000-0000-7000-8000-000000000000",
            headers={"X-API-Key": admin.key},
        )

    assert_problem(response, 404, "api_key_not_found")


async def test_invalid_key_creation_is_a_422_problem(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys",
            headers={"X-API-Key": admin.key},
            json={"name": "x", "tier": "platinum", "scopes": ["root"], "expires_in": -5},
        )

    body = assert_problem(response, 422, "validation_error")
    assert {tuple(error["loc"][-1:]) for error in body["errors"]} >= {("tier",), ("expires_in",)}


async def test_every_v1_route_is_authorized_and_declares_a_scope(
    settings: Settings, session: AsyncSession
) -> None:
    """Walks the OpenAPI document, so a router registered anywhere under /api/v1 is covered."""
    closed = settings.model_copy(update={"anonymous_access": False})
    async with app_client(closed, session) as (app, client):
        single_scope_keys = {
            scope: (await issue_key(app, session, scopes=[scope])).key
            for scope in ("read", "ingest", "admin", "webhooks")
        }
        operations = [
            (method.upper(), re.sub(r"\{[^}]+\}", _PLACEHOLDER, path))
            for path, item in app.openapi()["paths"].items()
            if path.startswith("/api/v1")
            for method in item
        ]
        assert operations
        for method, path in operations:
            anonymous = await client.request(method, path)
            assert anonymous.status_code == 401, (method, path)
            refused = [
                scope
                for scope, key in single_scope_keys.items()
                if (await client.request(method, path, headers={"X-API-Key": key})).status_code
                == 403
            ]
            # A route that declares no scope would let every one of these keys through.
            assert refused, (method, path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate_limit", 2_147_483_648),
        ("rate_limit", 10**30),
        ("expires_in", "P9999999D"),
        ("expires_in", "P36526D"),
        ("expires_in", 10**12),
    ],
)
async def test_key_fields_beyond_what_the_database_holds_are_422_problems(
    settings: Settings, session: AsyncSession, field: str, value: object
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys",
            headers={"X-API-Key": admin.key},
            json={"name": "bounded", field: value},
        )

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", field]


async def test_key_fields_at_their_bounds_are_stored(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys",
            headers={"X-API-Key": admin.key},
            json={"name": "bounded", "rate_limit": 2_147_483_647, "expires_in": "P36525D"},
        )

    assert response.status_code == 201, response.text
    assert response.json()["rate_limit"] == 2_147_483_647


async def test_openapi_says_reads_need_no_key_unless_anonymous_access_is_off(
    settings: Settings, session: AsyncSession
) -> None:
    for anonymous, expected in ((True, True), (False, False)):
        changed = settings.model_copy(update={"anonymous_access": anonymous})
        async with app_client(changed, session) as (_, client):
            paths = (await client.get("/openapi.json")).json()["paths"]

        assert ({} in paths["/api/v1/packages"]["get"]["security"]) is expected
        assert {} not in paths["/api/v1/admin/keys"]["get"]["security"]
        assert {} not in paths["/api/v1/admin/keys"]["post"]["security"]
