"""Package lookup: names as each ecosystem spells them, purls, search and bad input."""

import pytest
from httpx import AsyncClient

from tests.api.v1.dataset import Dataset


@pytest.mark.parametrize(
    ("path", "ecosystem", "name"),
    [
        ("/api/v1/packages/pypi/Django", "pypi", "django"),
        ("/api/v1/packages/pypi/DJANGO", "pypi", "django"),
        ("/api/v1/packages/npm/@types/node", "npm", "@types/node"),
        ("/api/v1/packages/maven/org.slf4j:slf4j-api", "maven", "org.slf4j:slf4j-api"),
        ("/api/v1/packages/go/github.com/gin-gonic/gin", "go", "github.com/gin-gonic/gin"),
        ("/api/v1/packages/nuget/Newtonsoft.Json", "nuget", "newtonsoft.json"),
        ("/api/v1/packages/npm/users", "npm", "users"),
    ],
)
async def test_names_are_normalized_per_ecosystem(
    api: AsyncClient, dataset: Dataset, path: str, ecosystem: str, name: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ecosystem"], body["name"]) == (ecosystem, name)


async def test_package_reports_using_organizations_and_repositories(
    api: AsyncClient, dataset: Dataset
) -> None:
    body = (await api.get("/api/v1/packages/pypi/django")).json()

    assert body["organization_count"] == 4
    assert body["repository_count"] == 8
    assert body["purl"] == "pkg:pypi/django"


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/api/v1/packages/pypi/requests/users", "beta"),
        ("/api/v1/packages/npm/@types/node/users", "acme"),
        ("/api/v1/packages/maven/org.slf4j:slf4j-api/users", "acme"),
        ("/api/v1/packages/go/github.com/gin-gonic/gin/users", "acme"),
        ("/api/v1/packages/npm/users/users", "beta"),
    ],
)
async def test_users_route_accepts_names_with_slashes_and_colons(
    api: AsyncClient, dataset: Dataset, path: str, login: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 200, response.text
    assert [item["login"] for item in response.json()["items"]] == [login]


async def test_an_excluded_declaration_does_not_count_as_use(
    api: AsyncClient, dataset: Dataset
) -> None:
    body = (await api.get("/api/v1/packages/npm/left-pad/users")).json()

    assert body["items"][0]["kinds"] == ["runtime"]
    assert body["items"][0]["repository_count"] == 1


async def test_name_in_one_ecosystem_redirects_to_its_users(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get("/api/v1/packages/Django/users", params={"sort": "stars"})

    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/packages/pypi/django/users?sort=stars"
    followed = await api.get(response.headers["location"])
    assert followed.json()["items"][0]["login"] == "beta"


async def test_name_in_several_ecosystems_returns_409_with_candidates(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get("/api/v1/packages/requests/users")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "ambiguous_package"
    assert {(c["ecosystem"], c["name"]) for c in body["candidates"]} == {
        ("pypi", "requests"),
        ("npm", "requests"),
    }
    assert all(c["users_url"].endswith("/requests/users") for c in body["candidates"])


@pytest.mark.parametrize(
    "path",
    ["/api/v1/packages/cobol/x", "/api/v1/packages/PyPI/django/users", "/api/v1/packages/x/y/z"],
)
async def test_unknown_ecosystem_returns_422_listing_the_valid_ones(
    api: AsyncClient, path: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unknown_ecosystem"
    assert "pypi" in body["valid_ecosystems"]
    assert "npm" in body["detail"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/packages/pypi/flask", "package_not_found"),
        ("/api/v1/packages/pypi/flask/users", "package_not_found"),
        ("/api/v1/packages/flask/users", "package_not_found"),
        ("/api/v1/packages/npm/Left-Pad", "package_not_found"),
    ],
)
async def test_unknown_package_returns_404_problem(
    api: AsyncClient, dataset: Dataset, path: str, code: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == code


async def test_over_long_name_returns_422_problem(api: AsyncClient) -> None:
    response = await api.get("/api/v1/packages/npm/" + "a" * 501)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("purl", "name"),
    [
        ("pkg:pypi/Django@5.1", "django"),
        ("pkg:npm/%40types/node", "@types/node"),
        ("pkg:maven/org.slf4j/slf4j-api@2.0.9", "org.slf4j:slf4j-api"),
        ("pkg:golang/github.com/gin-gonic/gin", "github.com/gin-gonic/gin"),
    ],
)
async def test_purl_lookup_finds_the_package(
    api: AsyncClient, dataset: Dataset, purl: str, name: str
) -> None:
    response = await api.get(f"/api/v1/packages/purl/{purl}")

    assert response.status_code == 200, response.text
    assert response.json()["name"] == name


@pytest.mark.parametrize("purl", ["not-a-purl", "pkg:cran/ggplot2", "pkg:maven/no-group"])
async def test_invalid_or_unsupported_purl_returns_422_problem(api: AsyncClient, purl: str) -> None:
    response = await api.get(f"/api/v1/packages/purl/{purl}")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_purl"


async def test_search_matches_prefix_and_substring_ranked_by_use(
    api: AsyncClient, dataset: Dataset
) -> None:
    by_prefix = (await api.get("/api/v1/packages", params={"q": "req"})).json()
    by_substring = (await api.get("/api/v1/packages", params={"q": "SLF4J"})).json()
    in_npm = (await api.get("/api/v1/packages", params={"q": "e", "ecosystem": "npm"})).json()
    wildcard = (await api.get("/api/v1/packages", params={"q": "%"})).json()

    assert {(p["ecosystem"], p["name"]) for p in by_prefix["items"]} == {
        ("pypi", "requests"),
        ("npm", "requests"),
    }
    assert [p["name"] for p in by_substring["items"]] == ["org.slf4j:slf4j-api"]
    assert {p["ecosystem"] for p in in_npm["items"]} == {"npm"}
    counts = [p["organization_count"] for p in in_npm["items"]]
    assert counts == sorted(counts, reverse=True)
    assert wildcard["items"] == []


async def test_search_pages_through_every_package_once(api: AsyncClient, dataset: Dataset) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/api/v1/packages", params=params)).json()
        seen += [f"{p['ecosystem']}/{p['name']}" for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(f"{e}/{n}" for e, n in dataset.packages)
