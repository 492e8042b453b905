"""Home, search, organization, jobs and docs pages; errors as pages; hostile names as text."""

import re

from fastapi import FastAPI
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Dependency, Organization, Repository
from app.schemas.package import PackageUserRead
from app.services.usage_refresh import UsageRefreshService
from app.web.columns import IN_ORGANIZATION_CELL, USER_COLUMNS, Column, columns_for
from tests.api.v1.dataset import Dataset
from tests.clients import app_client
from tests.conftest import FIXED_IDS
from tests.paths import manifest_path_id
from tests.web.html import tbody, text

HOSTILE = '<script>alert("owned")</script>'


async def test_home_lists_the_most_used_packages_per_ecosystem(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/")

    assert response.status_code == 200
    assert '<a href="/packages/pypi/django">django</a>' in response.text
    assert '<a href="/packages/npm/@types/node">@types/node</a>' in response.text
    assert '<label for="q">Package name or package URL</label>' in response.text
    assert 'list="suggestions"' in response.text


async def test_search_opens_a_purl_or_a_single_match_and_lists_several(
    web: AsyncClient, dataset: Dataset
) -> None:
    purl = await web.get("/search", params={"q": "pkg:npm/%40types/node"})
    single = await web.get("/search", params={"q": "djan"})
    several = await web.get("/search", params={"q": "requests"})
    none = await web.get("/search", params={"q": "nothing-like-it"})

    assert purl.status_code == 303
    assert purl.headers["location"] == "/packages/npm/@types/node"
    assert single.status_code == 303
    assert single.headers["location"] == "/packages/pypi/django"
    assert several.status_code == 200
    results = tbody(several.text, "results")
    assert 'href="/packages/pypi/requests"' in results
    assert 'href="/packages/npm/requests"' in results
    assert "No package matches" in none.text


async def test_organization_page_shows_profile_signals_packages_and_repositories(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/organizations/acme")

    assert response.status_code == 200
    body = text(response.text)
    assert "Acme Corp" in body
    assert "Sponsorship signals" in body
    # Every funding signal the API has is listed, unknown ones as such.
    assert "Sponsors others unknown" in body
    assert 'href="/packages/pypi/django">django</a>' in tbody(response.text, "packages")
    repositories = tbody(response.text, "repositories")
    assert "acme/web" in repositories
    assert "acme/fork" not in repositories
    forks = await web.get("/organizations/acme", params={"include_forks": "true"})
    assert "acme/fork" in tbody(forks.text, "repositories")


async def test_hostile_names_render_as_text(
    web: AsyncClient, dataset: Dataset, session: AsyncSession
) -> None:
    organization = Organization(
        id=FIXED_IDS + 66,
        login="mallory",
        owner_type="organization",
        name=HOSTILE,
        description=HOSTILE,
        total_repositories=1,
        total_stars=1,
    )
    session.add(organization)
    await session.flush()
    repository = Repository(
        organization_id=organization.id,
        name="x",
        full_name="mallory/x",
        github_url="https://github.com/mallory/x",
        stars=1,
        primary_language=HOSTILE,
        is_fork=False,
        is_archived=False,
    )
    session.add(repository)
    await session.flush()
    package = dataset.packages[("pypi", "django")]
    session.add(
        Dependency(
            repository_id=repository.id,
            package_id=package.id,
            manifest_path_id=await manifest_path_id(session, "requirements.txt"),
            dependency_type="runtime",
        )
    )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([package.id])
    await session.flush()

    pages = [
        await web.get("/packages/pypi/django"),
        await web.get("/organizations/mallory"),
        await web.get("/organizations/mallory/uses/pypi/django"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in page.text


async def test_errors_render_as_pages_with_the_problem_detail(
    web: AsyncClient, dataset: Dataset
) -> None:
    missing = await web.get("/packages/pypi/flask")
    invalid = await web.get("/packages/pypi/django", params={"min_stars": "many"})
    ecosystem = await web.get("/packages/cpan/Moose")
    cursor = await web.get("/packages/pypi/django", params={"cursor": "garbage"})

    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "no pypi package named &#39;flask&#39;" in missing.text
    assert invalid.status_code == 422
    assert "min_stars" in invalid.text
    assert ecosystem.status_code == 422
    assert "unknown ecosystem" in ecosystem.text
    assert cursor.status_code == 400
    assert 'class="detail"' in cursor.text
    assert "Traceback" not in missing.text + invalid.text + cursor.text


async def test_the_api_and_unknown_paths_keep_answering_problem_json(web: AsyncClient) -> None:
    api = await web.get("/api/v1/packages/pypi/flask", headers={"Accept": "text/html"})
    nowhere = await web.get("/nowhere")
    browser = await web.get("/nowhere", headers={"Accept": "text/html"})

    assert api.headers["content-type"] == "application/problem+json"
    assert nowhere.headers["content-type"] == "application/problem+json"
    assert browser.status_code == 404
    assert browser.headers["content-type"].startswith("text/html")


async def test_pages_count_against_the_anonymous_rate_limit(
    settings: Settings, session: AsyncSession, cache: Redis
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 2})
    async with app_client(limited, session) as (_, client):
        answers = [await client.get("/jobs") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["content-type"].startswith("text/html")
    assert "retry in" in answers[2].text
    assert "retry-after" in answers[2].headers


async def test_docs_load_vendored_assets_only(web: AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        page = await web.get(path)
        assert page.status_code == 200
        assert re.search(r"https?://", page.text) is None, path
        assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/vendor/redoc/redoc.standalone.js",
        "/static/wump.css",
        "/static/wump.js",
        "/static/jobs.js",
    ):
        response = await web.get(asset)
        assert response.status_code == 200, asset


async def test_jobs_page_labels_every_control(web: AsyncClient) -> None:
    response = await web.get("/jobs")

    assert response.status_code == 200
    for control in ("api-key", "org-login", "pkg-ecosystem", "pkg-name"):
        assert f'<label for="{control}">' in response.text
        assert f'id="{control}"' in response.text
    assert '<script src="/static/jobs.js" defer></script>' in response.text


def test_a_field_the_api_adds_becomes_a_column() -> None:
    class Extended(PackageUserRead):
        readiness_score: int | None = None

    columns = columns_for(Extended, (Column("login", "Organization"),), hidden=set())

    assert [c.field for c in columns][-1] == "readiness_score"
    assert columns[-1].label == "Readiness score"
    shown = (
        {c.field for c in USER_COLUMNS} | IN_ORGANIZATION_CELL | {"direct_repository_count", "via"}
    )
    assert shown == set(PackageUserRead.model_fields)


def test_pages_are_outside_the_openapi_document(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert all(path.startswith(("/api/", "/health")) for path in paths)
