"""The direct dependencies a package arrives through, as a filtered users page shows them: each
name counted over the organization's transitive repositories, most first, ties by name in byte
order, at most VIA_LIMIT."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, Repository
from app.models.package_usage import VIA_LIMIT
from app.repositories.package_usage import DependentFilter
from app.repositories.package_user_uses import UserUsesRepository
from app.services.usage_refresh import UsageRefreshService
from tests.paths import manifest_path_id


async def test_via_names_are_counted_per_repository_most_first_then_by_name(
    session: AsyncSession,
) -> None:
    package = Package(ecosystem="pypi", name=f"via-{uuid.uuid4().hex[:8]}")
    organization = Organization(login=f"via-{uuid.uuid4().hex[:6]}", owner_type="organization")
    session.add_all([package, organization])
    await session.flush()
    # Each repository's via: the direct dependencies the package arrives through there.
    vias = ["g f e d c b a", "b c", "c", "Zeta", None]
    for index, through in enumerate(vias):
        repository = Repository(
            organization_id=organization.id,
            name=f"r{index}",
            full_name=f"{organization.login}/r{index}",
            github_url=f"https://github.com/{organization.login}/r{index}",
            stars=10,
            primary_language="Python",
        )
        session.add(repository)
        await session.flush()
        session.add(
            Dependency(
                repository_id=repository.id,
                package_id=package.id,
                manifest_path_id=await manifest_path_id(session, "requirements.lock"),
                dependency_type="runtime",
                is_direct=through is None,
                via=through,
            )
        )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([package.id])

    counts, via = await UserUsesRepository(session).list_use_counts(
        package.id, [organization.id], DependentFilter(language="python", min_stars=5)
    )

    assert counts == {organization.id: (1, 4)}
    # "Zeta" sorts before "a" in byte order; "f" and "g" fall past the limit.
    assert via == {organization.id: [("c", 3), ("b", 2), ("Zeta", 1), ("a", 1), ("d", 1)]}
    assert len(via[organization.id]) == VIA_LIMIT
