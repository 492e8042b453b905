"""Portfolios: the organizations using any of a maintainer's packages, or of a list of purls.

npm packages a, b, c come from repositories of `maint`, d from `someone`:

| org     | uses (repositories)   | notes                               |
| bigco   | a (1), b (1), c (1)   | sponsors 5 others: readiness 40+10 |
| smallco | a (2)                 |                                     |
| maint   | b (1)                 | the maintainer itself               |
| otherco | d (1)                 |                                     |
| smallco | b (1, transitive)     | its lockfile pulls b in, via x      |
| deepco  | a (2, transitive)     | uses the portfolio only through x   |
"""

import csv
import io
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models import Dependency, Organization, Package, Repository
from app.services.usage_refresh import UsageRefreshService
from tests.clients import app_client
from tests.conftest import FIXED_IDS
from tests.paths import manifest_path_id

MAINTAINER = "/api/v1/maintainers/maint/users"
PORTFOLIO = "/api/v1/portfolio"
SOURCES = {"a": "maint", "b": "maint", "c": "Maint", "d": "someone"}
USES = {
    "bigco": [("a", 1), ("b", 1), ("c", 1)],
    "smallco": [("a", 2)],
    "maint": [("b", 1)],
    "otherco": [("d", 1)],
    "deepco": [],
}
# Repositories whose lockfiles alone pull the package in, through the direct dependency `x`.
TRANSITIVE = {"smallco": [("b", 1)], "deepco": [("a", 2)]}


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
        organization = Organization(id=FIXED_IDS + 700 + n, login=login, **signals)
        session.add(organization)
        await session.flush()
        declared = [(name, count, True) for name, count in uses]
        pulled = [(name, count, False) for name, count in TRANSITIVE.get(login, [])]
        for name, count, direct in declared + pulled:
            for r in range(count):
                repository = Repository(
                    organization_id=organization.id,
                    name=f"{name}-{r}{'' if direct else '-locked'}",
                    full_name=f"{login}/{name}-{r}{'' if direct else '-locked'}",
                    github_url=f"https://github.com/{login}/{name}-{r}{'' if direct else '-l'}",
                )
                session.add(repository)
                await session.flush()
                session.add(
                    Dependency(
                        repository_id=repository.id,
                        package_id=packages[name].id,
                        manifest_path_id=await manifest_path_id(
                            session, "package.json" if direct else "package-lock.json"
                        ),
                        dependency_type="runtime",
                        is_direct=direct,
                        via=None if direct else "x",
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
    assert list(rows[0])[:11] == [
        "login",
        "name",
        "owner_type",
        "github_url",
        "website_url",
        "package_count",
        "packages",
        "repository_count",
        "transitive_repository_count",
        "transitive_packages",
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


@pytest.mark.usefixtures("portfolio")
async def test_direct_use_is_listed_and_transitive_use_counted_beside_it(api: AsyncClient) -> None:
    body = (await api.get(MAINTAINER)).json()

    assert summary(body) == [
        ("bigco", ["pkg:npm/a", "pkg:npm/b", "pkg:npm/c"]),
        ("smallco", ["pkg:npm/a"]),
    ]
    assert body["total"] == 2
    # deepco reaches the portfolio only through its lockfiles.
    assert body["transitive_only_total"] == 1
    smallco = body["items"][1]
    assert smallco["transitive_packages"] == ["pkg:npm/b"]
    assert (smallco["repository_count"], smallco["transitive_repository_count"]) == (2, 1)


@pytest.mark.usefixtures("portfolio")
async def test_dependency_transitive_lists_who_uses_the_portfolio_only_through_others(
    api: AsyncClient,
) -> None:
    body = (await api.get(MAINTAINER, params={"dependency": "transitive"})).json()

    assert summary(body) == [("deepco", ["pkg:npm/a"])]
    deepco = body["items"][0]
    assert (deepco["package_count"], deepco["repository_count"]) == (1, 2)
    assert deepco["transitive_packages"] == ["pkg:npm/a"]
    assert (body["total"], body["transitive_only_total"]) == (1, None)


@pytest.mark.usefixtures("portfolio")
async def test_dependency_any_counts_both_uses(api: AsyncClient) -> None:
    body = (
        await api.post(
            PORTFOLIO, params={"dependency": "any"}, json={"purls": ["pkg:npm/a", "pkg:npm/b"]}
        )
    ).json()

    assert {login: packages for login, packages in summary(body)} == {
        "bigco": ["pkg:npm/a", "pkg:npm/b"],
        "smallco": ["pkg:npm/a", "pkg:npm/b"],
        "deepco": ["pkg:npm/a"],
    }
    smallco = next(item for item in body["items"] if item["login"] == "smallco")
    # Two repositories declare a, a third pulls b in.
    assert (smallco["package_count"], smallco["repository_count"]) == (2, 3)
    assert (body["total"], body["transitive_only_total"]) == (3, None)


@pytest.mark.usefixtures("portfolio")
@pytest.mark.parametrize("dependency", ["direct", "transitive", "any"])
@pytest.mark.parametrize("sort", ["packages", "repositories", "readiness", "name"])
async def test_each_dependency_value_pages_to_its_total(
    api: AsyncClient, dependency: str, sort: str
) -> None:
    whole = (await api.get(MAINTAINER, params={"dependency": dependency, "sort": sort})).json()
    logins: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"dependency": dependency, "sort": sort, "limit": 1}
        body = (
            await api.get(MAINTAINER, params=params | ({"cursor": cursor} if cursor else {}))
        ).json()
        assert body["total"] == whole["total"]
        logins += [item["login"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert logins == [item["login"] for item in whole["items"]]
    assert len(logins) == whole["total"]
