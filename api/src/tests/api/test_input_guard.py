"""Text PostgreSQL cannot store is refused at the edge as a 422 problem, never a 500."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from tests.api._auth import assert_problem, issue_key
from tests.clients import app_client


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/api/v1/organizations?q=%00", ["query", "q"]),
        ("/api/v1/packages?q=a%00b", ["query", "q"]),
        ("/api/v1/packages/pypi/requests/users?language=%00", ["query", "language"]),
        ("/api/v1/packages?q=%ED%A0%80", ["query", "q"]),
        ("/api/v1/organizations?cursor=%ED%A0%80", ["query", "cursor"]),
        ("/api/v1/packages/pypi/re%00quests", ["path"]),
        ("/api/v1/organizations/%ED%A0%80", ["path"]),
        ("/api/v1/organizations?%00=1", ["query"]),
    ],
)
async def test_nul_and_invalid_utf8_in_the_url_are_422_problems(
    client: AsyncClient, url: str, location: list[str]
) -> None:
    response = await client.get(url)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [
        {
            "loc": location,
            "msg": "Text must be valid UTF-8 without NUL characters.",
            "type": "string_unstorable",
        }
    ]


async def test_a_nul_in_a_header_is_a_422_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/me", headers={"X-API-Key": "wump_\x00abc"})

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["header", "x-api-key"]


@pytest.mark.parametrize(
    ("raw_name", "location"),
    [
        (b'"a\\u0000b"', ["body", "name"]),
        (b'"\\ud800"', ["body", "name"]),
        (b'"\\uDFFF tail"', ["body", "name"]),
    ],
)
async def test_unstorable_text_in_a_json_body_is_a_422_problem(
    settings: Settings, session: AsyncSession, raw_name: bytes, location: list[str]
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys",
            content=b'{"name": ' + raw_name + b', "scopes": ["read"]}',
            headers={"X-API-Key": admin.key, "Content-Type": "application/json"},
        )

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"] == location


async def test_escaped_backslashes_and_surrogate_pairs_in_a_body_are_accepted(
    settings: Settings, session: AsyncSession
) -> None:
    async with app_client(settings, session) as (app, client):
        admin = await issue_key(app, session, scopes=["admin"])
        response = await client.post(
            "/api/v1/admin/keys",
            content=b'{"name": "emoji \\ud83d\\ude00 and \\\\u0000 literally"}',
            headers={"X-API-Key": admin.key, "Content-Type": "application/json"},
        )

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "emoji \U0001f600 and \\u0000 literally"
