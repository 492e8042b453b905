"""The default users order breaks ties by stars, then login, and its pages never skip or repeat
an organization however many share a repository count and stars."""

import itertools
import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, Repository
from app.services.usage_refresh import UsageRefreshService

# (repositories, stars of each) per organization; logins are given out in an order unrelated
# to the expected one, in mixed case.
SHAPES = [(1, 0), (2, 5), (1, 0), (2, 5), (1, 7), (2, 0), (1, 0), (2, 5), (1, 7), (1, 0)]


@pytest.fixture
async def package(session: AsyncSession) -> tuple[str, list[str]]:
    """A package and the logins of its users in the expected order."""
    package = Package(ecosystem="pypi", name=f"ties-{uuid.uuid4().hex[:8]}")
    session.add(package)
    await session.flush()
    expected = []
    for index, (repositories, stars) in enumerate(SHAPES):
        login = f"{'T' if index % 2 else 't'}ie-{(index * 7) % 10}-{uuid.uuid4().hex[:4]}"
        organization = Organization(login=login, owner_type="organization")
        session.add(organization)
        await session.flush()
        for number in range(repositories):
            repository = Repository(
                organization_id=organization.id,
                name=f"r{number}",
                full_name=f"{login}/r{number}",
                github_url=f"https://github.com/{login}/r{number}",
                stars=stars,
                is_fork=False,
                is_archived=False,
            )
            session.add(repository)
            await session.flush()
            session.add(Dependency(repository_id=repository.id, package_id=package.id))
        expected.append((-repositories, -repositories * stars, login.lower(), login))
    await session.flush()
    await UsageRefreshService(session).refresh_packages([package.id])
    return package.name, [login for *_, login in sorted(expected)]


@pytest.mark.parametrize(
    ("limit", "params"),
    list(itertools.product([1, 2, 3], [{}, {"include_forks": True}, {"dependency": "any"}])),
)
async def test_pages_follow_repositories_then_stars_then_login_without_gaps(
    api: AsyncClient, package: tuple[str, list[str]], limit: int, params: dict[str, str | bool]
) -> None:
    name, expected = package
    logins: list[str] = []
    cursor = None
    for _ in range(len(expected) + 1):
        page = await api.get(
            f"/api/v1/packages/pypi/{name}/users",
            params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})},
        )
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == len(expected)
        logins += [item["login"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert logins == expected
