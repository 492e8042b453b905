"""An organization's top languages read the same from the rollup (stored as one text) and from
the exact aggregate of a filtered list, names with spaces and punctuation included, most used
first, ties in byte order, at most three."""

import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, Repository
from app.services.usage_refresh import UsageRefreshService

# One repository per entry; None has no primary language.
LANGUAGES = [
    "Jupyter Notebook",
    "Visual Basic .NET",
    "Jupyter Notebook",
    "C++",
    "Ren'Py",
    None,
    "Visual Basic .NET",
]
EXPECTED = ["Jupyter Notebook", "Visual Basic .NET", "C++"]


@pytest.fixture
async def package_name(session: AsyncSession) -> str:
    package = Package(ecosystem="pypi", name=f"langs-{uuid.uuid4().hex[:8]}")
    login = f"langs-{uuid.uuid4().hex[:8]}"
    organization = Organization(login=login, owner_type="organization")
    session.add_all([package, organization])
    await session.flush()
    for number, language in enumerate(LANGUAGES):
        repository = Repository(
            organization_id=organization.id,
            name=f"r{number}",
            full_name=f"{login}/r{number}",
            github_url=f"https://github.com/{login}/r{number}",
            primary_language=language,
        )
        session.add(repository)
        await session.flush()
        session.add(Dependency(repository_id=repository.id, package_id=package.id))
    await session.flush()
    await UsageRefreshService(session, kind_usage_minimum=0).refresh_packages([package.id])
    return package.name


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "stars"}, {"kind": "runtime"}, {"min_stars": 0}, {"include_forks": True}],
)
async def test_languages_are_the_same_from_the_rollup_and_the_aggregate(
    api: AsyncClient, package_name: str, params: dict[str, str | int | bool]
) -> None:
    response = await api.get(f"/api/v1/packages/pypi/{package_name}/users", params=params)

    assert response.status_code == 200, response.text
    assert [item["languages"] for item in response.json()["items"]] == [EXPECTED]
