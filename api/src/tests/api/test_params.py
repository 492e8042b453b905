"""Path parameters have one limit each, whichever route takes them: a GitHub login is at most
39 characters on the read routes and the ingest routes alike."""

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api._auth import assert_problem, issue_key

LONGEST = "a" * 39
TOO_LONG = "a" * 40


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organizations/{login}",
        "/api/v1/organizations/{login}/packages",
        "/api/v1/organizations/{login}/repositories",
        "/api/v1/packages/npm/left-pad/users/{login}/repositories",
        "/api/v1/repositories/{login}/web",
    ],
)
async def test_a_login_over_39_characters_is_refused_on_every_read_route(
    client: AsyncClient, path: str
) -> None:
    refused = await client.get(path.format(login=TOO_LONG))
    body = assert_problem(refused, 422, "validation_error")
    assert any("39" in error["msg"] for error in body["errors"])

    longest = await client.get(path.format(login=LONGEST))
    assert longest.status_code == 404, longest.text


async def test_a_login_over_39_characters_is_refused_by_the_ingest_routes(
    app: FastAPI, client: AsyncClient, session: AsyncSession
) -> None:
    key = (await issue_key(app, session, scopes=["ingest"])).key
    headers = {"Authorization": f"Bearer {key}"}

    for path in (
        f"/api/v1/ingest/organizations/{TOO_LONG}",
        f"/api/v1/ingest/repositories/{TOO_LONG}/web",
    ):
        response = await client.post(path, headers=headers)
        assert_problem(response, 422, "validation_error")
