"""Noise left out by default: repositories of bot accounts and awesome-lists, by their names."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, PackageDependent, Repository
from app.models.package_usage import NOISE as NOISE_FLAG
from app.models.package_usage import has_flag
from app.services.usage_refresh import UsageRefreshService
from tests.paths import manifest_path_id

USERS = "/api/v1/packages/npm/left-pad/users"
# owner login -> repository names; each repository declares left-pad.
REPOSITORIES = {
    "acme": ["web", "awesome-js", "js.awesome", "awesome", "awesomeness", "not-awesome-at-all"],
    "renovate-bot": ["web"],
    "dependabot[bot]": ["site"],
    "deps_bot": ["tool"],
    "robot": ["arm"],
    "botanist": ["plants"],
}
NOISE = {
    "acme/awesome-js",
    "acme/js.awesome",
    "acme/awesome",
    "renovate-bot/web",
    "dependabot[bot]/site",
    "deps_bot/tool",
}


@pytest.fixture
async def noisy(session: AsyncSession) -> None:
    package = Package(ecosystem="npm", name="left-pad")
    session.add(package)
    for login, names in REPOSITORIES.items():
        owner = Organization(login=login)
        session.add(owner)
        await session.flush()
        for name in names:
            repository = Repository(
                organization_id=owner.id,
                name=name,
                full_name=f"{login}/{name}",
                github_url=f"https://github.com/{login}/{name}",
            )
            session.add(repository)
            await session.flush()
            session.add(
                Dependency(
                    repository_id=repository.id,
                    package_id=package.id,
                    manifest_path_id=await manifest_path_id(session, "package.json"),
                    dependency_type="runtime",
                )
            )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([package.id])
    await session.flush()


async def users(api: AsyncClient, **params: Any) -> dict[str, int]:
    response = await api.get(USERS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["login"]: item["repository_count"] for item in body["items"]}


@pytest.mark.usefixtures("noisy")
async def test_the_rule_marks_bot_owners_and_awesome_lists_only(session: AsyncSession) -> None:
    result = await session.execute(
        select(Repository.full_name, has_flag(PackageDependent.flags, NOISE_FLAG)).join(
            PackageDependent, PackageDependent.repository_id == Repository.id
        )
    )

    marked = {name for name, is_noise in result if is_noise}
    assert marked == NOISE


@pytest.mark.usefixtures("noisy")
async def test_noise_is_left_out_of_the_users_unless_asked(api: AsyncClient) -> None:
    default = await users(api)
    # `kind` makes the exact aggregate answer instead of the rollup: the same rule applies.
    filtered = await users(api, kind="runtime")
    filtered_everything = await users(api, kind="runtime", include_noise="true")
    everything = await users(api, include_noise="true")

    assert default == {"acme": 3, "robot": 1, "botanist": 1}
    assert filtered == default
    assert everything == {
        "acme": 6,
        "renovate-bot": 1,
        "dependabot[bot]": 1,
        "deps_bot": 1,
        "robot": 1,
        "botanist": 1,
    }
    assert filtered_everything == everything
