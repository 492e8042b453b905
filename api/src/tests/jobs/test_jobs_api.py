"""Requesting ingestion over the API and following the jobs."""

import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from tests.api._auth import assert_problem, issue_key
from tests.clients import app_client


@pytest.fixture(autouse=True)
async def clean_jobs(engine: AsyncEngine) -> AsyncIterator[None]:
    """The queue commits on connections of its own: empty its tables around each test."""

    async def truncate() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE job_executions, procrastinate_jobs CASCADE"))

    await truncate()
    yield
    await truncate()


@pytest.fixture
async def api(
    settings: Settings, session: AsyncSession
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    async with app_client(settings, session) as (app, http):
        yield app, http


async def _headers(
    api: tuple[FastAPI, AsyncClient], session: AsyncSession, scopes: list[str]
) -> dict[str, str]:
    created = await issue_key(api[0], session, scopes=scopes)
    return {"X-API-Key": created.key}


async def _queue_rows(engine: AsyncEngine) -> list[tuple[str, str | None, dict[str, object]]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT task_name, lock, args FROM procrastinate_jobs ORDER BY id")
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def test_organization_ingest_is_queued_once_and_followed(
    api: tuple[FastAPI, AsyncClient], session: AsyncSession, engine: AsyncEngine
) -> None:
    _app, http = api
    headers = await _headers(api, session, ["read", "ingest"])

    first = await http.post("/api/v1/ingest/organizations/Octo-Org", headers=headers)
    assert first.status_code == 202, first.text
    job = first.json()
    assert first.headers["location"] == f"/api/v1/jobs/{job['id']}" == job["url"]
    assert job["job_type"] == "ingest_organization"
    assert job["subject"] == "octo-org"
    assert job["status"] == "pending"
    assert job["metadata"]["arguments"] == {"login": "Octo-Org"}

    again = await http.post("/api/v1/ingest/organizations/octo-org", headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == job["id"]

    queued = await _queue_rows(engine)
    assert len(queued) == 1
    task_name, lock, args = queued[0]
    assert task_name == "ingest_organization"
    assert lock == "organization:octo-org"
    assert args == {"execution_id": job["id"], "login": "Octo-Org"}

    shown = await http.get(f"/api/v1/jobs/{job['id']}", headers=headers)
    assert shown.status_code == 200
    assert shown.json()["status"] == "pending"
    listed = await http.get("/api/v1/jobs", params={"status": "pending"}, headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [job["id"]]
    none_running = await http.get("/api/v1/jobs", params={"status": "running"}, headers=headers)
    assert none_running.json()["items"] == []


async def test_package_discovery_normalizes_the_name(
    api: tuple[FastAPI, AsyncClient], session: AsyncSession, engine: AsyncEngine
) -> None:
    headers = await _headers(api, session, ["ingest"])
    response = await api[1].post("/api/v1/ingest/packages/pypi/Flask_SQLAlchemy", headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["subject"] == "pypi/flask-sqlalchemy"
    scoped = await api[1].post("/api/v1/ingest/packages/npm/@types/node", headers=headers)
    assert scoped.status_code == 202
    assert scoped.json()["subject"] == "npm/@types/node"
    assert [row[1] for row in await _queue_rows(engine)] == [
        "package:pypi/flask-sqlalchemy",
        "package:npm/@types/node",
    ]


async def test_repository_ingest(api: tuple[FastAPI, AsyncClient], session: AsyncSession) -> None:
    headers = await _headers(api, session, ["ingest"])
    response = await api[1].post(
        "/api/v1/ingest/repositories/octo-org/Hello.World", headers=headers
    )
    assert response.status_code == 202
    assert response.json()["subject"] == "octo-org/hello.world"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/ingest/organizations/-bad-", "invalid_job_subject"),
        ("/api/v1/ingest/organizations/a--b", "invalid_job_subject"),
        ("/api/v1/ingest/packages/cpan/Moose", "unknown_ecosystem"),
        ("/api/v1/ingest/repositories/octo-org/bad%20name", "invalid_job_subject"),
    ],
)
async def test_bad_subjects_are_422_problems_and_queue_nothing(
    api: tuple[FastAPI, AsyncClient],
    session: AsyncSession,
    engine: AsyncEngine,
    path: str,
    code: str,
) -> None:
    headers = await _headers(api, session, ["ingest"])
    assert_problem(await api[1].post(path, headers=headers), 422, code)
    assert await _queue_rows(engine) == []


async def test_ingest_needs_the_ingest_scope(
    api: tuple[FastAPI, AsyncClient], session: AsyncSession, engine: AsyncEngine
) -> None:
    read_only = await _headers(api, session, ["read"])
    assert_problem(
        await api[1].post("/api/v1/ingest/organizations/octo-org", headers=read_only),
        403,
        "missing_scope",
    )
    anonymous = await api[1].post("/api/v1/ingest/organizations/octo-org")
    assert anonymous.status_code == 401
    assert_problem(await api[1].get("/api/v1/jobs", headers=read_only), 403, "missing_scope")
    assert await _queue_rows(engine) == []


async def test_unknown_job_and_bad_cursor(
    api: tuple[FastAPI, AsyncClient], session: AsyncSession
) -> None:
    headers = await _headers(api, session, ["ingest"])
    assert_problem(
        await api[1].get(f"/api/v1/jobs/{uuid.uuid4()}", headers=headers), 404, "job_not_found"
    )
    assert_problem(
        await api[1].get("/api/v1/jobs/not-a-uuid", headers=headers), 404, "job_not_found"
    )
    assert_problem(
        await api[1].get("/api/v1/jobs", params={"cursor": "zzz"}, headers=headers),
        400,
        "invalid_cursor",
    )


async def test_jobs_list_pages_newest_first(
    api: tuple[FastAPI, AsyncClient], session: AsyncSession
) -> None:
    headers = await _headers(api, session, ["ingest"])
    ids = []
    for login in ("org-a", "org-b", "org-c"):
        response = await api[1].post(f"/api/v1/ingest/organizations/{login}", headers=headers)
        ids.append(response.json()["id"])
    first = (await api[1].get("/api/v1/jobs", params={"limit": 2}, headers=headers)).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    rest = (
        await api[1].get(
            "/api/v1/jobs", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
        )
    ).json()
    assert [item["id"] for item in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
