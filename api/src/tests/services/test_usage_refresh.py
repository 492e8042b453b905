"""UsageRefreshService keeps the read side equal to a rebuild from the source tables."""

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, PackageDependent, PackageUsage, Repository
from app.services.usage_refresh import UsageRefreshService
from tests.api.v1.dataset import Dataset, load_dataset
from tests.paths import manifest_path_id


async def _snapshot(session: AsyncSession) -> tuple[list[Any], list[Any], list[Any]]:
    dependents = (
        await session.execute(
            select(PackageDependent).order_by(*PackageDependent.__table__.primary_key)
        )
    ).scalars()
    usage = (
        await session.execute(select(PackageUsage).order_by(*PackageUsage.__table__.primary_key))
    ).scalars()
    counts = await session.execute(
        select(Package.name, Package.organization_count, Package.repository_count).order_by(
            Package.ecosystem, Package.name
        )
    )
    return (
        [(d.package_id, d.repository_id, d.stars, d.flags) for d in dependents],
        [
            (
                u.package_id,
                u.organization_id,
                u.repository_count,
                u.total_stars,
                u.languages,
                u.kinds,
            )
            for u in usage
        ],
        [tuple(row) for row in counts],
    )


async def test_refreshing_changed_repositories_matches_a_full_rebuild(
    session: AsyncSession,
) -> None:
    data: Dataset = await load_dataset(session)
    web, site = data.repositories["acme/web"], data.repositories["beta/site"]
    # A repository moves to another owner, one loses a declaration, one gains stars.
    await session.execute(
        update(Repository)
        .where(Repository.id == site.id)
        .values(organization_id=data.organizations["carol"].id, stars=7)
    )
    await session.execute(
        delete(Dependency).where(
            Dependency.repository_id == web.id,
            Dependency.manifest_path_id == await manifest_path_id(session, "dev/requirements.txt"),
        )
    )
    service = UsageRefreshService(session)

    refreshed = await service.refresh_repositories([web.id, site.id])
    incremental = await _snapshot(session)
    await service.rebuild_all()
    rebuilt = await _snapshot(session)

    assert incremental == rebuilt
    assert {"package:pypi:django", "organization:beta", "organization:carol"} <= refreshed.scopes


async def test_deleted_repository_leaves_no_usage_behind(session: AsyncSession) -> None:
    data = await load_dataset(session)
    tools = data.repositories["acme/tools"]
    await session.execute(delete(Repository).where(Repository.id == tools.id))

    await UsageRefreshService(session).refresh_repositories([tools.id])

    gin = data.packages[("go", "github.com/gin-gonic/gin")]
    await session.refresh(gin)
    assert gin.organization_count == 0
    assert gin.repository_count == 0
    remaining = await session.execute(
        select(PackageDependent).where(PackageDependent.repository_id == tools.id)
    )
    assert remaining.first() is None


async def test_refreshing_a_package_follows_an_owner_type_change(session: AsyncSession) -> None:
    data = await load_dataset(session)
    django = data.packages[("pypi", "django")]
    await session.execute(
        update(Organization).where(Organization.login == "acme").values(owner_type="user")
    )

    refreshed = await UsageRefreshService(session).refresh_packages([django.id])

    owner_types = await session.execute(
        select(PackageUsage.owner_is_user).where(
            PackageUsage.package_id == django.id,
            PackageUsage.organization_id == data.organizations["acme"].id,
        )
    )
    assert owner_types.scalar_one() is True
    assert refreshed.scopes == {"package:pypi:django"}


async def test_a_transitive_dependent_arrives_through_its_lockfiles_first_ten_names(
    session: AsyncSession,
) -> None:
    organization = Organization(login="via-refresh", owner_type="organization")
    session.add(organization)
    await session.flush()
    one, two = (
        Repository(
            organization_id=organization.id,
            name=name,
            full_name=f"via-refresh/{name}",
            github_url=f"https://github.com/via-refresh/{name}",
        )
        for name in ("one", "two")
    )
    package = Package(ecosystem="npm", name="via-refresh-leaf")
    session.add_all([one, two, package])
    await session.flush()
    names = [f"d{number}" for number in range(12)]
    # Manifest order is the paths' order, whichever path was stored first.
    tag = uuid.uuid4().hex[:8]
    later, earlier = f"b-{tag}/package-lock.json", f"a-{tag}/package-lock.json"
    await manifest_path_id(session, later)
    for repository, manifest, via in (
        # One lockfile naming twelve direct dependencies: the first ten are kept.
        (one, "package-lock.json", " ".join(names)),
        # Two lockfiles: the union, each name once, in manifest order then nearest first.
        (two, later, "c d a"),
        (two, earlier, "a b c"),
    ):
        session.add(
            Dependency(
                repository_id=repository.id,
                package_id=package.id,
                manifest_path_id=await manifest_path_id(session, manifest),
                is_direct=False,
                via=via,
            )
        )
    await session.flush()

    await UsageRefreshService(session).refresh_repositories([one.id, two.id])

    vias = dict(
        (
            await session.execute(
                select(PackageDependent.repository_id, PackageDependent.via).where(
                    PackageDependent.package_id == package.id
                )
            )
        ).all()
    )
    assert vias == {one.id: " ".join(names[:10]), two.id: "a b c d"}
