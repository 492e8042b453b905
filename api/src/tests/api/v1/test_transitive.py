"""Direct and transitive use, end to end: checkouts stored through the real ingestion path, then
the users answers for each `dependency` value, their totals, pages and via."""

import io
from csv import reader
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.providers.base import ProviderRegistry
from app.services.ingestion import IngestionService
from app.services.usage_cache import UsageCache

MARKUPSAFE = "/api/v1/packages/pypi/markupsafe/users"


def uv_lock(requires: list[str], dev: list[str], edges: dict[str, list[str]]) -> str:
    """A uv.lock of project `proj` requiring `requires`, with `dev` as its dev group."""

    def names(items: list[str]) -> str:
        return ", ".join(f'{{ name = "{name}" }}' for name in items)

    blocks = [
        '[[package]]\nname = "proj"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        f"dependencies = [{names(requires)}]\n\n"
        f"[package.dev-dependencies]\ndev = [{names(dev)}]\n"
    ]
    for name, targets in edges.items():
        blocks.append(
            f'[[package]]\nname = "{name}"\nversion = "1.0.0"\ndependencies = [{names(targets)}]\n'
        )
    return "version = 1\n\n" + "\n".join(blocks)


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for name, content in files.items():
        (root / name).write_text(content)
    return root


# The template engine, the framework and the WSGI library declare MarkupSafe; the CLI toolkit
# has it only in uv.lock, through its documentation tool chain (a development dependency).
DOCS_CHAIN = {
    "click": [],
    "sphinx": ["jinja2", "babel"],
    "jinja2": ["markupsafe"],
    "babel": [],
    "markupsafe": [],
}
CHECKOUTS: dict[str, dict[str, str]] = {
    "engine": {
        "pyproject.toml": '[project]\nname = "engine"\ndependencies = ["MarkupSafe>=2.0"]\n',
        "uv.lock": uv_lock(["markupsafe"], [], {"markupsafe": []}),
    },
    "framework": {
        "requirements.txt": "Jinja2>=3.1\nMarkupSafe>=2.1\n",
    },
    "wsgi": {"requirements.txt": "markupsafe==2.1.5\n"},
    "cli": {
        "pyproject.toml": '[project]\nname = "cli"\ndependencies = ["click>=8"]\n',
        "uv.lock": uv_lock(["click"], ["sphinx"], DOCS_CHAIN),
    },
}


@pytest.fixture
async def ingested(
    session_factory: async_sessionmaker[AsyncSession], cache: Redis, tmp_path: Path
) -> None:
    service = IngestionService(session_factory, ProviderRegistry(), UsageCache(cache))
    for name, files in CHECKOUTS.items():
        await service.ingest_checkout("webtools", name, write(tmp_path / name, files))
    # Another organization uses MarkupSafe only through the same documentation tool chain.
    await service.ingest_checkout("docsonly", "site", write(tmp_path / "site", CHECKOUTS["cli"]))


async def users(api: AsyncClient, url: str, **params: Any) -> dict[str, Any]:
    response = await api.get(url, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counts(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item["login"],
        item["repository_count"],
        item["direct_repository_count"],
        item["transitive_repository_count"],
        item["via"],
        item["kinds"],
    )


@pytest.mark.usefixtures("ingested")
async def test_default_counts_direct_use_and_says_how_many_use_it_only_transitively(
    api: AsyncClient,
) -> None:
    body = await users(api, MARKUPSAFE)

    via = [{"name": "sphinx", "repository_count": 1}]
    assert [counts(item) for item in body["items"]] == [("webtools", 3, 3, 1, via, ["runtime"])]
    assert (body["total"], body["transitive_only_total"]) == (1, 1)
    package = (await api.get("/api/v1/packages/pypi/markupsafe")).json()
    assert (package["organization_count"], package["repository_count"]) == (1, 3)
    assert package["transitive_organization_count"] == 1


@pytest.mark.usefixtures("ingested")
async def test_transitive_and_any_list_the_transitive_uses_derived_development(
    api: AsyncClient,
) -> None:
    transitive = await users(api, MARKUPSAFE, dependency="transitive")
    every = await users(api, MARKUPSAFE, dependency="any", sort="name")

    via = [{"name": "sphinx", "repository_count": 1}]
    # Only development dependencies reach it in the CLI toolkit: it is `development` there.
    assert sorted(counts(item) for item in transitive["items"]) == [
        ("docsonly", 1, 0, 1, via, ["development"]),
        ("webtools", 1, 3, 1, via, ["development"]),
    ]
    assert (transitive["total"], transitive["transitive_only_total"]) == (2, None)
    assert [counts(item) for item in every["items"]] == [
        ("docsonly", 1, 0, 1, via, ["development"]),
        ("webtools", 4, 3, 1, via, ["runtime", "development"]),
    ]
    assert every["total"] == 2


@pytest.mark.usefixtures("ingested")
@pytest.mark.parametrize("dependency", ["direct", "transitive", "any"])
async def test_pages_of_one_yield_the_total_for_each_dependency_value(
    api: AsyncClient, dependency: str
) -> None:
    # A filter besides `dependency` sends the default through the exact aggregate too.
    for extra in ({}, {"include_forks": True}):
        first = await users(api, MARKUPSAFE, dependency=dependency, limit=1, **extra)
        logins, cursor = [item["login"] for item in first["items"]], first["next_cursor"]
        while cursor:
            page = await users(
                api, MARKUPSAFE, dependency=dependency, limit=1, cursor=cursor, **extra
            )
            logins += [item["login"] for item in page["items"]]
            cursor = page["next_cursor"]
        assert len(logins) == len(set(logins)) == first["total"]
        expected = 1 if dependency == "direct" else 2
        assert first["total"] == expected
        if dependency == "direct":
            assert first["transitive_only_total"] == 1


@pytest.mark.usefixtures("ingested")
async def test_csv_and_declarations_carry_the_transitive_evidence(api: AsyncClient) -> None:
    csv = await api.get(MARKUPSAFE, params={"format": "csv", "dependency": "any"})
    repositories = await users(api, f"{MARKUPSAFE}/webtools/repositories", dependency="transitive")

    table = list(reader(io.StringIO(csv.text)))
    header, rows = table[0], table[1:]
    assert [
        [row[header.index(column)] for column in ("login", "direct_repository_count", "via")]
        for row in rows
    ] == [["webtools", "3", "sphinx (1)"], ["docsonly", "0", "sphinx (1)"]]
    (cli,) = repositories["items"]
    assert cli["full_name"] == "webtools/cli"
    assert cli["declarations"] == [
        {
            "manifest_path": "uv.lock",
            "requirement": None,
            "version": "1.0.0",
            "kind": "development",
            "is_direct": False,
            "via": ["sphinx"],
        }
    ]


@pytest.mark.usefixtures("ingested")
async def test_organization_packages_carry_transitive_counts_and_via(api: AsyncClient) -> None:
    url = "/api/v1/organizations/webtools/packages"
    rollup = await users(api, url)
    kinds = await users(api, url, kind=["runtime", "development"])

    def listed(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        return {
            p["name"]: (p["repository_count"], p["transitive_repository_count"], p["via"])
            for p in body["items"]
        }

    via = [{"name": "sphinx", "repository_count": 1}]
    # babel arrives only transitively: the organization does not use it directly.
    expected = {
        "markupsafe": (3, 1, via),
        "jinja2": (1, 1, via),
        "click": (1, 0, []),
        "sphinx": (1, 0, []),
    }
    assert listed(rollup) == expected
    assert listed(kinds) == expected
    assert rollup["total"] == kinds["total"] == 4


@pytest.mark.usefixtures("ingested")
async def test_package_page_shows_via_and_the_transitive_only_organizations(
    api: AsyncClient,
) -> None:
    page = await api.get("/packages/pypi/markupsafe")

    assert page.status_code == 200
    assert "<strong>1</strong> more use it only transitively" in page.text
    assert ">Via<" in page.text
    assert "1 only transitively" in page.text
    assert "via sphinx (1)</span>" in page.text
