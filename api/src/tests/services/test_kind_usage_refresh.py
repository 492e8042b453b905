"""The per-kind rollup stays equal to a rebuild from the source tables, and its lists to the
exact aggregate, through an ingest's incremental refresh, a full rebuild, and a package
growing past the minimum or shrinking below it."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Package, PackageKindUsage, Repository
from app.models.dependency import DEPENDENCY_TYPES
from app.schemas.package import DependencyKind
from app.services.usage_refresh import UsageRefreshService
from tests.api.v1.dataset import Dataset, load_dataset
from tests.paths import manifest_path_id
from tests.repositories.test_package_users_kind import assert_kind_pages_match

KINDS: tuple[DependencyKind, ...] = ("runtime", "development", "optional", "peer")


async def _rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    found = await session.execute(
        select(PackageKindUsage).order_by(*PackageKindUsage.__table__.primary_key)
    )
    return [
        (
            row.package_id,
            row.organization_id,
            DEPENDENCY_TYPES[row.kind],
            row.repository_count,
            row.transitive_repository_count,
            row.total_stars,
            row.latest_push,
            row.kinds,
            row.languages,
            row.via,
        )
        for row in found.scalars()
    ]


async def _assert_lists_match(session: AsyncSession, data: Dataset) -> None:
    for package in data.packages.values():
        await session.refresh(package)
        assert package.has_kind_usage
        for kind in KINDS:
            await assert_kind_pages_match(session, package.id, kind, limit=2)


async def test_an_ingest_that_changes_kinds_keeps_the_rollup_equal_to_a_rebuild(
    session: AsyncSession,
) -> None:
    data = await load_dataset(session)
    service = UsageRefreshService(session, kind_usage_minimum=1)
    await service.rebuild_all()
    await _assert_lists_match(session, data)
    django = data.packages[("pypi", "django")]
    web, site = data.repositories["acme/web"], data.repositories["beta/site"]
    before = await _rows(session)
    # acme/web's django declarations all become optional; beta/site moves to carol.
    await session.execute(
        update(Dependency)
        .where(Dependency.repository_id == web.id, Dependency.package_id == django.id)
        .values(dependency_type="optional")
    )
    await session.execute(
        update(Repository)
        .where(Repository.id == site.id)
        .values(organization_id=data.organizations["carol"].id)
    )

    # What an ingest runs after its writes, with the default minimum.
    await UsageRefreshService(session).refresh_repositories([web.id, site.id])
    incremental = await _rows(session)
    await _assert_lists_match(session, data)
    await service.rebuild_all()

    assert incremental == await _rows(session)
    assert incremental != before
    acme = data.organizations["acme"].id
    assert (django.id, acme, "optional") in {row[:3] for row in incremental}


async def test_a_package_gets_its_rows_when_it_grows_past_the_minimum(
    session: AsyncSession,
) -> None:
    data = await load_dataset(session)
    requests = data.packages[("pypi", "requests")]
    await session.refresh(requests)
    minimum = requests.repository_count + 1
    service = UsageRefreshService(session, kind_usage_minimum=minimum)
    await service.refresh_packages([requests.id])
    await session.refresh(requests)
    assert not requests.has_kind_usage
    notes = data.repositories["carol/notes"]
    session.add(
        Dependency(
            repository_id=notes.id,
            package_id=requests.id,
            manifest_path_id=await manifest_path_id(session, "requirements.txt"),
            dependency_type="runtime",
        )
    )
    await session.flush()

    await service.refresh_repositories([notes.id])

    await session.refresh(requests)
    assert requests.has_kind_usage
    assert requests.repository_count == minimum
    grown = [row for row in await _rows(session) if row[0] == requests.id]
    assert grown
    total = await assert_kind_pages_match(session, requests.id, "runtime", limit=3)
    assert total > 0
    await service.refresh_packages([requests.id])
    assert [row for row in await _rows(session) if row[0] == requests.id] == grown


async def test_a_whole_package_rebuild_below_the_minimum_drops_its_rows(
    session: AsyncSession,
) -> None:
    data = await load_dataset(session)
    django = data.packages[("pypi", "django")]
    await UsageRefreshService(session, kind_usage_minimum=1).refresh_packages([django.id])
    assert any(row[0] == django.id for row in await _rows(session))

    await UsageRefreshService(session).refresh_packages([django.id])

    assert not any(row[0] == django.id for row in await _rows(session))
    marked = await session.execute(select(Package.has_kind_usage).where(Package.id == django.id))
    assert marked.scalar_one() is False
