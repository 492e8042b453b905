"""Organization, repository and stats endpoints on the hand-built dataset."""

from httpx import AsyncClient

from tests.api.v1.dataset import Dataset


async def test_organization_profile_has_totals(api: AsyncClient, dataset: Dataset) -> None:
    response = await api.get("/api/v1/organizations/ACME")

    assert response.status_code == 200
    body = response.json()
    assert body["login"] == "acme"
    assert body["website_url"] == "https://acme.example"
    assert body["repository_count"] == 5
    # django, @types/node, left-pad, slf4j-api, gin
    assert body["package_count"] == 5


async def test_unknown_organization_returns_404_problem(api: AsyncClient) -> None:
    response = await api.get("/api/v1/organizations/nobody")

    assert response.status_code == 404
    assert response.json()["code"] == "organization_not_found"


async def test_organization_search_matches_login_and_name(
    api: AsyncClient, dataset: Dataset
) -> None:
    by_login = (await api.get("/api/v1/organizations", params={"q": "ECH"})).json()
    by_name = (await api.get("/api/v1/organizations", params={"q": "corp"})).json()
    everyone = (await api.get("/api/v1/organizations", params={"limit": 100})).json()

    assert [o["login"] for o in by_login["items"]] == ["Echo"]
    assert [o["login"] for o in by_name["items"]] == ["acme"]
    # Most starred first (total_stars is 1000 * (6 - n) in the dataset).
    assert [o["login"] for o in everyone["items"]] == ["acme", "beta", "carol", "delta", "Echo"]


async def test_organization_packages_are_ranked_and_filtered(
    api: AsyncClient, dataset: Dataset
) -> None:
    ranked = (await api.get("/api/v1/organizations/acme/packages")).json()
    npm = await api.get("/api/v1/organizations/acme/packages", params={"ecosystem": "npm"})
    development = await api.get(
        "/api/v1/organizations/acme/packages", params={"kind": "development"}
    )

    assert ranked["items"][0] == {
        "ecosystem": "pypi",
        "name": "django",
        "purl": "pkg:pypi/django",
        "repository_count": 3,
        "transitive_repository_count": 0,
        "via": [],
        "kinds": ["runtime", "development"],
    }
    assert {p["name"] for p in npm.json()["items"]} == {"@types/node", "left-pad"}
    assert [(p["name"], p["repository_count"]) for p in development.json()["items"]] == [
        ("django", 2),
        ("@types/node", 1),
    ]
    assert ranked["total"] == len(ranked["items"])
    assert npm.json()["total"] == 2
    assert development.json()["total"] == 2


async def test_organization_repositories_exclude_forks_and_archived_by_default(
    api: AsyncClient, dataset: Dataset
) -> None:
    default = (await api.get("/api/v1/organizations/acme/repositories")).json()
    everything = await api.get(
        "/api/v1/organizations/acme/repositories",
        params={"include_forks": True, "include_archived": True, "limit": 2},
    )

    assert [r["full_name"] for r in default["items"]] == ["acme/web", "acme/api", "acme/tools"]
    assert default["total"] == 3
    page = everything.json()
    assert page["total"] == 5
    assert [r["full_name"] for r in page["items"]] == ["acme/old", "acme/web"]
    rest = await api.get(
        "/api/v1/organizations/acme/repositories",
        params={"include_forks": True, "include_archived": True, "cursor": page["next_cursor"]},
    )
    assert [r["full_name"] for r in rest.json()["items"]] == [
        "acme/api",
        "acme/fork",
        "acme/tools",
    ]


async def test_repository_lists_its_dependencies(api: AsyncClient, dataset: Dataset) -> None:
    response = await api.get("/api/v1/repositories/ACME/Web")

    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "acme/web"
    assert body["owner"] == "acme"
    assert [(d["ecosystem"], d["name"], d["manifest_path"]) for d in body["dependencies"]] == [
        ("npm", "@types/node", "package.json"),
        ("npm", "left-pad", "package.json"),
        ("npm", "left-pad", "package.json.bak"),
        ("pypi", "django", "dev/requirements.txt"),
        ("pypi", "django", "requirements.txt"),
    ]
    missing = await api.get("/api/v1/repositories/acme/nothing")
    assert missing.status_code == 404
    assert missing.json()["code"] == "repository_not_found"


async def test_stats_count_each_ecosystem_and_rank_its_packages(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get("/api/v1/stats")

    assert response.status_code == 200
    body = response.json()
    pypi = next(e for e in body["ecosystems"] if e["ecosystem"] == "pypi")
    assert pypi["packages"] == 2
    assert pypi["organizations"] == 4
    assert pypi["repositories"] == 8
    assert pypi["dependencies"] == 14
    assert [p["name"] for p in pypi["top_packages"]] == ["django", "requests"]
    assert body["organizations"] == 5
    assert body["repositories"] == 12
    assert body["dependencies"] == 22
    assert body["packages"] == 9
