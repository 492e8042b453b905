"""GET /packages/{ecosystem}/{name}/users on the hand-built dataset: every filter and sort."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.api.v1.dataset import Dataset

USERS = "/api/v1/packages/pypi/django/users"


async def logins(api: AsyncClient, **params: Any) -> list[str]:
    response = await api.get(USERS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    assert body["next_cursor"] is None
    return [item["login"] for item in body["items"]]


async def test_default_view_aggregates_each_organization(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get(USERS)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4
    acme = body["items"][0]
    # Readiness and sponsorship have tests of their own (test_outreach.py).
    assert set(acme.pop("readiness")) == {"score", "reasons"}
    assert acme.pop("sponsorship")["sponsors_others"] is None
    assert acme == {
        "login": "acme",
        "name": "Acme Corp",
        "owner_type": "organization",
        "github_url": "https://github.com/acme",
        "website_url": "https://acme.example",
        "repository_count": 3,
        "direct_repository_count": 3,
        "transitive_repository_count": 0,
        "via": [],
        "total_stars": 625,
        "languages": ["Python", "Go"],
        "latest_push": "2026-10-01T00:00:00Z",
        "kinds": ["runtime", "development"],
        "sample_repositories": [
            {"full_name": "acme/web", "stars": 500, "github_url": "https://github.com/acme/web"},
            {"full_name": "acme/api", "stars": 120, "github_url": "https://github.com/acme/api"},
            {"full_name": "acme/tools", "stars": 5, "github_url": "https://github.com/acme/tools"},
        ],
    }
    beta = body["items"][1]
    assert beta["login"] == "beta"
    assert beta["languages"] == ["Jupyter Notebook", "Python"]
    assert beta["kinds"] == ["runtime", "optional"]
    assert beta["total_stars"] == 2030


async def test_forks_and_archived_repositories_are_excluded_by_default(
    api: AsyncClient, dataset: Dataset
) -> None:
    assert "delta" not in await logins(api)
    # delta's fork has more stars than Echo's one repository.
    assert await logins(api, include_forks="true") == ["acme", "beta", "carol", "delta", "Echo"]
    assert await logins(api, include_archived="true") == [
        "acme",
        "beta",
        "carol",
        "Echo",
        "delta",
    ]
    both = (await api.get(USERS, params={"include_forks": True, "include_archived": True})).json()
    acme = next(item for item in both["items"] if item["login"] == "acme")
    assert acme["repository_count"] == 5
    assert acme["total_stars"] == 625 + 900 + 50
    assert acme["sample_repositories"][0]["full_name"] == "acme/old"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Ties (carol and beta both have 2) break on stars, then login.
        ("repositories", ["acme", "beta", "carol", "Echo"]),
        ("stars", ["beta", "acme", "Echo", "carol"]),
        ("recent", ["beta", "acme", "Echo", "carol"]),
        ("name", ["acme", "beta", "carol", "Echo"]),
    ],
)
async def test_each_sort_orders_the_default_view(
    api: AsyncClient, dataset: Dataset, sort: str, expected: list[str]
) -> None:
    assert await logins(api, sort=sort) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_stars": 100}, ["acme", "beta", "Echo"]),
        ({"language": "python"}, ["acme", "beta", "Echo", "carol"]),
        ({"language": "Go"}, ["acme"]),
        ({"pushed_after": "2026-06-01"}, ["acme", "beta", "Echo"]),
        ({"kind": "development"}, ["acme"]),
        ({"kind": ["development", "optional"]}, ["acme", "beta"]),
        ({"owner_type": "user"}, ["carol"]),
        ({"owner_type": "organization"}, ["acme", "beta", "Echo"]),
        ({"language": "Python", "min_stars": 100}, ["acme", "beta", "Echo"]),
        ({"language": "Cobol"}, []),
    ],
)
async def test_each_filter_narrows_to_the_hand_computed_organizations(
    api: AsyncClient, dataset: Dataset, params: dict[str, Any], expected: list[str]
) -> None:
    assert await logins(api, **params) == expected


async def test_filtered_counts_only_matching_repositories(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get(USERS, params={"min_stars": 100, "sort": "stars"})

    items = {item["login"]: item for item in response.json()["items"]}
    assert items["acme"]["repository_count"] == 2
    assert items["acme"]["total_stars"] == 620
    assert items["acme"]["languages"] == ["Python"]
    assert items["acme"]["kinds"] == ["runtime", "development"]
    assert [s["full_name"] for s in items["acme"]["sample_repositories"]] == [
        "acme/web",
        "acme/api",
    ]
    assert items["beta"]["latest_push"] == "2026-11-01T00:00:00Z"


async def test_filtered_and_rollup_answers_agree_on_the_default_filters(
    api: AsyncClient, dataset: Dataset
) -> None:
    rollup = (await api.get(USERS, params={"sort": "recent"})).json()
    # Asking for every kind selects the same repositories but takes the exact-aggregate path.
    exact = (await api.get(USERS, params={"sort": "recent", "kind": list(KINDS)})).json()

    assert exact == rollup


KINDS = ("runtime", "development", "optional", "peer", "build", "provided", "import", "other")


@pytest.mark.parametrize("sort", ["repositories", "stars", "recent", "name"])
@pytest.mark.parametrize(
    "params",
    [{}, {"include_forks": True, "include_archived": True}, {"language": "python"}],
    ids=["rollup", "with-forks-and-archived", "filtered"],
)
async def test_paging_one_by_one_yields_total_rows_without_duplicates_or_gaps(
    api: AsyncClient, dataset: Dataset, sort: str, params: dict[str, Any]
) -> None:
    full = await logins(api, sort=sort, **params)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = {"sort": sort, "limit": 1, **params, **({"cursor": cursor} if cursor else {})}
        page = (await api.get(USERS, params=query)).json()
        assert page["total"] == len(full)
        seen += [item["login"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == full


async def test_a_cursor_from_another_sort_is_rejected(api: AsyncClient, dataset: Dataset) -> None:
    first = (await api.get(USERS, params={"limit": 1, "sort": "stars"})).json()

    response = await api.get(USERS, params={"cursor": first["next_cursor"], "sort": "name"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("cursor", ["garbage", "eyJ9", "WyJyZXBvc2l0b3JpZXMiLCJ4IiwieSJd", "%00"])
async def test_malformed_cursor_returns_400_problem(
    api: AsyncClient, dataset: Dataset, cursor: str
) -> None:
    response = await api.get(USERS, params={"cursor": cursor})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_cursor"


async def test_limit_above_the_cap_returns_422_problem(api: AsyncClient, dataset: Dataset) -> None:
    response = await api.get(USERS, params={"limit": 101})

    assert response.status_code == 422
    assert response.json()["code"] == "limit_too_large"
    assert response.json()["max_limit"] == 100


@pytest.mark.parametrize(
    "params",
    [{"pushed_after": "2026-13-45"}, {"min_stars": -1}, {"kind": "banana"}, {"sort": "best"}],
)
async def test_bad_filter_values_return_422_problem(
    api: AsyncClient, dataset: Dataset, params: dict[str, Any]
) -> None:
    response = await api.get(USERS, params=params)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_organization_repositories_list_declarations_under_the_same_filters(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get(f"{USERS}/ACME/repositories")

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    web = body["items"][0]
    assert web["full_name"] == "acme/web"
    assert web["declarations"] == [
        {
            "manifest_path": "dev/requirements.txt",
            "requirement": "==5.1",
            "version": None,
            "kind": "development",
            "is_direct": None,
            "via": [],
        },
        {
            "manifest_path": "requirements.txt",
            "requirement": ">=5.0",
            "version": None,
            "kind": "runtime",
            "is_direct": None,
            "via": [],
        },
    ]
    archived = await api.get(f"{USERS}/acme/repositories", params={"include_archived": True})
    assert archived.json()["items"][0]["full_name"] == "acme/old"
    unknown = await api.get(f"{USERS}/nobody/repositories")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "organization_not_found"
