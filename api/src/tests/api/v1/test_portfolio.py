"""Portfolios: the organizations using any of a maintainer's packages, or of a list of purls.

npm packages a, b, c come from repositories of `maint`, d from `someone`:

| org     | uses (repositories)   | notes                               |
| bigco   | a (1), b (1), c (1)   | sponsors 5 others: readiness 40+10 |
| smallco | a (2)                 |                                     |
| maint   | b (1)                 | the maintainer itself               |
| otherco | d (1)                 |                                     |
"""

import csv
import io
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Dependency, Organization, Package, Repository
from app.services.usage_refresh import UsageRefreshService
from tests.clients import app_client

MAINTAINER = "/api/v1/maintainers/maint/users"
PORTFOLIO = "/api/v1/portfolio"
SOURCES = {"a": "maint", "b": "maint", "c": "Maint", "d": "someone"}
USES = {
    "bigco": [("a", 1), ("b", 1), ("c", 1)],
    "smallco": [("a", 2)],
    "maint": [("b", 1)],
    "otherco": [("d", 1)],
}


@pytest.fixture
async def portfolio(session: AsyncSession) -> None:
    packages = {}
    for name, owner in SOURCES.items():
        packages[name] = Package(
            ecosystem="npm",
            name=name,
            repository_url=f"https://github.com/{owner}/{name}",
            source_owner=owner.lower(),
        )
        session.add(packages[name])
    for n, (login, uses) in enumerate(USES.items(), 1):
        signals = {"sponsoring_count": 5} if login == "bigco" else {}
        organization = Organization(id=uuid.UUID(int=700 + n), login=login, **signals)
        session.add(organization)
        await session.flush()
        for name, count in uses:
            for r in range(count):
                repository = Repository(
                    organization_id=organization.id,
                    name=f"{name}-{r}",
                    full_name=f"{login}/{name}-{r}",
                    github_url=f"https://github.com/{login}/{name}-{r}",
                )
                session.add(repository)
                await session.flush()
                session.add(
                    Dependency(
                        repository_id=repository.id,
                        package_id=packages[name].id,
                        manifest_path="package.json",
                        dependency_type="runtime",
                    )
                )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([p.id for p in packages.values()])
    await session.flush()


def summary(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(item["login"], item["packages"]) for item in body["items"]]


@pytest.mark.usefixtures("portfolio")
async def test_an_organization_using_three_packages_appears_once_listing_them(
    api: AsyncClient,
) -> None:
    response = await api.get(MAINTAINER)

    assert response.status_code == 200, response.text
    body = response.json()
    assert summary(body) == [
        ("bigco", ["pkg:npm/a", "pkg:npm/b", "pkg:npm/c"]),
        ("smallco", ["pkg:npm/a"]),
    ]
    assert body["total"] == 2
    assert body["packages"] == ["pkg:npm/a", "pkg:npm/b", "pkg:npm/c"]
    assert body["unknown"] == []
    bigco = body["items"][0]
    assert (bigco["package_count"], bigco["repository_count"]) == (3, 3)
    assert bigco["readiness"]["score"] == 40
    assert bigco["sponsorship"]["sponsors_others"] == 5


@pytest.mark.usefixtures("portfolio")
async def test_the_maintainer_itself_comes_back_only_when_asked(api: AsyncClient) -> None:
    body = (await api.get(MAINTAINER, params={"include_owner": "true"})).json()

    assert {item["login"] for item in body["items"]} == {"bigco", "smallco", "maint"}
    assert body["total"] == 3


@pytest.mark.usefixtures("portfolio")
@pytest.mark.parametrize("sort", ["packages", "repositories", "readiness", "name"])
async def test_every_sort_pages_by_keyset_with_an_exact_total(api: AsyncClient, sort: str) -> None:
    logins: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 1, "include_owner": "true"}
        body = (
            await api.get(MAINTAINER, params=params | ({"cursor": cursor} if cursor else {}))
        ).json()
        assert body["total"] == 3
        logins += [item["login"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(logins) == ["bigco", "maint", "smallco"]
    if sort == "name":
        assert logins == ["bigco", "maint", "smallco"]
    if sort == "packages":
        assert logins[0] == "bigco"
    if sort == "repositories":
        assert logins[:1] == ["bigco"]


@pytest.mark.usefixtures("portfolio")
async def test_sponsors_others_narrows_a_portfolio(api: AsyncClient) -> None:
    body = (await api.get(MAINTAINER, params={"sponsors_others": "true"})).json()

    assert summary(body) == [("bigco", ["pkg:npm/a", "pkg:npm/b", "pkg:npm/c"])]
    assert body["total"] == 1


@pytest.mark.usefixtures("portfolio")
async def test_a_login_that_owns_no_known_package_is_a_404_problem(api: AsyncClient) -> None:
    response = await api.get("/api/v1/maintainers/bigco/users")

    assert response.status_code == 404
    problem = response.json()
    assert problem["code"] == "maintainer_not_found"
    assert "'bigco'" in problem["detail"]


@pytest.mark.usefixtures("portfolio")
async def test_a_portfolio_lists_unknown_purls_and_leaves_out_the_source_owners(
    api: AsyncClient,
) -> None:
    purls = ["pkg:npm/a", "pkg:npm/d", "pkg:npm/nope", "not-a-purl", "pkg:npm/a"]

    response = await api.post(PORTFOLIO, json={"purls": purls})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["packages"] == ["pkg:npm/a", "pkg:npm/d"]
    assert body["unknown"] == ["not-a-purl", "pkg:npm/nope"]
    assert {login for login, _ in summary(body)} == {"bigco", "smallco", "otherco"}
    assert body["total"] == 3


async def test_a_portfolio_over_the_cap_is_a_422_problem(
    settings: Settings, session: AsyncSession
) -> None:
    capped = settings.model_copy(update={"portfolio_max_packages": 2})
    async with app_client(capped, session) as (_, client):
        response = await client.post(PORTFOLIO, json={"purls": ["pkg:npm/a"] * 3})

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "portfolio_too_large"
    assert problem["max_packages"] == 2


async def test_an_empty_portfolio_is_a_422_problem(api: AsyncClient) -> None:
    response = await api.post(PORTFOLIO, json={"purls": []})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.usefixtures("portfolio")
async def test_both_export_as_csv(api: AsyncClient) -> None:
    maintainer = await api.get(MAINTAINER, params={"format": "csv"})
    listed = await api.post(
        PORTFOLIO, params={"format": "csv"}, json={"purls": ["pkg:npm/a", "pkg:npm/b"]}
    )

    for response in (maintainer, listed):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(maintainer.text)))
    assert list(rows[0])[:9] == [
        "login",
        "name",
        "owner_type",
        "github_url",
        "website_url",
        "package_count",
        "packages",
        "repository_count",
        "readiness.score",
    ]
    assert (rows[0]["login"], rows[0]["packages"]) == (
        "bigco",
        "pkg:npm/a; pkg:npm/b; pkg:npm/c",
    )
    assert [row["login"] for row in csv.DictReader(io.StringIO(listed.text))] == [
        "bigco",
        "smallco",
    ]
