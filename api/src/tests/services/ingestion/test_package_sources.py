"""A discovery stores the package's source repository; its owner is left out of its users."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.ecosystems import Ecosystem
from app.models import Package
from tests.services.ingestion.conftest import UpstreamFactory, scenario

OWNERS: list[dict[str, Any]] = [
    {"login": "octocat", "kind": "User", "repositories": [{"name": "left-pad"}, {"name": "demo"}]},
    {"login": "octo-org", "repositories": [{"name": "web"}, {"name": "api"}]},
    {"login": "acme", "repositories": [{"name": "tools"}]},
]
DEPENDENTS = [
    {"repository": "octocat/demo", "filepath": "package.json"},
    {"repository": "octo-org/web", "filepath": "package.json"},
    {"repository": "octo-org/api", "filepath": "package.json"},
    {"repository": "acme/tools", "filepath": "package.json"},
]
LEFT_PAD = {
    "ecosystem": "npm",
    "name": "left-pad",
    "repository_url": "git+ssh://git@github.com/OctoCat/left-pad.git",
    "description": "String left pad",
    "latest_version": "1.3.0",
    "dependents": DEPENDENTS,
}
USERS = "/api/v1/packages/npm/left-pad/users"


async def stored(session: AsyncSession) -> Package:
    result = await session.execute(
        select(Package)
        .where(Package.ecosystem == "npm", Package.name == "left-pad")
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def test_discovery_stores_the_normalized_source_repository_and_its_owner(
    upstream: UpstreamFactory, session: AsyncSession, client: AsyncClient
) -> None:
    fake = upstream(scenario(*OWNERS, packages=[LEFT_PAD]))

    report = await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    assert report.failures == []
    package = await stored(session)
    assert package.repository_url == "https://github.com/OctoCat/left-pad"
    assert (package.source_owner, package.description, package.latest_version) == (
        "octocat",
        "String left pad",
        "1.3.0",
    )
    body = (await client.get("/api/v1/packages/npm/left-pad")).json()
    assert body["repository_url"] == "https://github.com/OctoCat/left-pad"


async def test_the_source_repository_owner_is_left_out_of_the_users_unless_asked(
    upstream: UpstreamFactory, client: AsyncClient
) -> None:
    fake = upstream(scenario(*OWNERS, packages=[LEFT_PAD]))
    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    default = (await client.get(USERS)).json()
    everyone = (await client.get(USERS, params={"include_owner": "true"})).json()
    filtered = (await client.get(USERS, params={"language": "nothing-matches-this"})).json()
    by_name = (await client.get(USERS, params={"sort": "name", "limit": 1})).json()

    assert [u["login"] for u in default["items"]] == ["octo-org", "acme"]
    assert default["total"] == 2
    assert {u["login"] for u in everyone["items"]} == {"octo-org", "acme", "octocat"}
    assert everyone["total"] == 3
    assert filtered["total"] == 0
    assert (by_name["items"][0]["login"], by_name["total"]) == ("acme", 2)


async def test_a_failing_metadata_lookup_is_reported_and_the_discovery_goes_on(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    faults = [{"kind": "malformed", "match": "/ecosystems-packages/*", "times": None}]
    fake = upstream(scenario(*OWNERS, packages=[LEFT_PAD], faults=faults))

    report = await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    assert report.repositories == 4
    assert [failure.full_name for failure in report.failures] == ["npm/left-pad"]
    assert (await stored(session)).source_owner is None


async def test_a_source_on_another_host_is_kept_without_an_owner(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    elsewhere = LEFT_PAD | {"repository_url": "https://gitlab.com/octocat/left-pad"}
    fake = upstream(scenario(*OWNERS, packages=[elsewhere]))

    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    package = await stored(session)
    assert (package.repository_url, package.source_owner) == (
        "https://gitlab.com/octocat/left-pad",
        None,
    )
