"""The rollup's sort indexes, the default order's too (migration 047), hold the rows of large
packages only (`sort_indexed`):
a list reads both sides in one statement, so its pages are the same whichever side a package's
rows are on, and the writes keep each package's rows on the side its size calls for."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

import app.repositories.usage_refresh as usage_refresh
from app.models import (
    Dependency,
    Organization,
    Package,
    PackageDependent,
    PackageUsage,
    Repository,
)
from app.models.package_usage import FILTER_INDEXED, has_flag
from app.repositories.package_usage import UsersSort
from app.repositories.package_users import PackageUsersRepository, UserFilter
from app.services.usage_refresh import UsageRefreshService

# (repositories, stars of each) per organization: ties on every sort key but the id.
SHAPES = [(1, 5), (2, 0), (1, 5), (3, 1), (1, 0), (2, 5), (1, 5)]
SORTS: list[UsersSort] = ["stars", "recent", "name", "readiness", "repositories"]


async def _package(session: AsyncSession, shapes: list[tuple[int, int]]) -> Package:
    package = Package(ecosystem="npm", name=f"sorted-{uuid.uuid4().hex[:8]}")
    session.add(package)
    await session.flush()
    for index, (repositories, stars) in enumerate(shapes):
        login = f"s{index}-{uuid.uuid4().hex[:6]}"
        organization = Organization(login=login, owner_type="organization")
        session.add(organization)
        await session.flush()
        await _repositories(session, package, organization, repositories, stars)
    await session.flush()
    return package


async def _repositories(
    session: AsyncSession, package: Package, owner: Organization, count: int, stars: int
) -> list[int]:
    ids = []
    for number in range(count):
        full_name = f"{owner.login}/r{number}-{uuid.uuid4().hex[:4]}"
        repository = Repository(
            organization_id=owner.id,
            name=full_name.split("/")[1],
            full_name=full_name,
            github_url=f"https://github.com/{full_name}",
            stars=stars,
        )
        session.add(repository)
        await session.flush()
        session.add(Dependency(repository_id=repository.id, package_id=package.id))
        ids.append(repository.id)
    await session.flush()
    return ids


async def _pages(session: AsyncSession, package_id: int, sort: UsersSort) -> list[list[Any]]:
    """Every page of two rows, walked by keyset from the first."""
    users = PackageUsersRepository(session)
    pages: list[list[Any]] = []
    after = None
    while True:
        rows = await users.list_users_rollup(
            package_id, owner_type=None, uf=UserFilter(), sort=sort, after=after, limit=2
        )
        pages.append([row.login for row in rows])
        if len(rows) < 2:
            return pages
        last = rows[-1]
        after = (
            (last.repository_count, last.total_stars, last.login_key)
            if sort == "repositories"
            else (_key(sort, last), last.organization_id)
        )


def _key(sort: UsersSort, row: Any) -> Any:
    return {
        "stars": row.total_stars,
        "recent": row.latest_push,
        "name": row.login_key,
        "readiness": row.readiness,
    }[sort]


async def _flags(session: AsyncSession, package_id: int) -> list[bool]:
    found = await session.execute(
        select(PackageUsage.sort_indexed)
        .where(PackageUsage.package_id == package_id)
        .order_by(PackageUsage.organization_id)
    )
    return list(found.scalars())


@pytest.mark.parametrize("sort", SORTS)
async def test_pages_are_the_same_whichever_side_the_rows_are_on(
    session: AsyncSession, sort: UsersSort
) -> None:
    package = await _package(session, SHAPES)
    await UsageRefreshService(session).refresh_packages([package.id])
    assert set(await _flags(session, package.id)) == {False}
    unindexed = await _pages(session, package.id, sort)

    await session.execute(
        update(PackageUsage).where(PackageUsage.package_id == package.id).values(sort_indexed=True)
    )
    indexed = await _pages(session, package.id, sort)
    # A package whose rows are moving: every other organization on each side.
    await session.execute(
        text(
            "UPDATE package_usage SET sort_indexed = organization_id % 2 = 0 WHERE package_id = :id"
        ),
        {"id": package.id},
    )
    mixed = await _pages(session, package.id, sort)

    assert sum(len(page) for page in unindexed) == len(SHAPES)
    assert indexed == unindexed
    assert mixed == unindexed


async def test_every_sort_index_holds_only_the_large_packages_rows(
    session: AsyncSession,
) -> None:
    found = await session.execute(
        text(
            "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = 'package_usage'::regclass"
            " AND c.relname = ANY(CAST(:names AS text[]))"
        ),
        {"names": [f"ix_package_usage_{sort}" for sort in SORTS]},
    )
    predicates: dict[str, str] = dict(found.tuples().all())

    assert predicates == dict.fromkeys(
        (f"ix_package_usage_{sort}" for sort in SORTS), "(has_direct_use AND sort_indexed)"
    )


async def test_a_whole_package_rebuild_puts_a_large_packages_rows_in_the_sort_indexes(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usage_refresh, "SORT_INDEX_MIN_ORGANIZATIONS", 3)
    small = await _package(session, SHAPES[:2])
    large = await _package(session, SHAPES[:3])

    await UsageRefreshService(session).refresh_packages([small.id, large.id])

    assert await _flags(session, small.id) == [False, False]
    assert await _flags(session, large.id) == [True, True, True]


async def _filter_flags(session: AsyncSession, package_id: int) -> list[bool]:
    found = await session.execute(
        select(has_flag(PackageDependent.flags, FILTER_INDEXED))
        .where(PackageDependent.package_id == package_id)
        .order_by(PackageDependent.repository_id)
    )
    return list(found.scalars())


async def test_rows_follow_their_package_across_either_threshold(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rollup's rows by organizations, the dependents' rows (the filter index, see
    test_filter_indexed) by repositories: one newcomer crosses both thresholds."""
    monkeypatch.setattr(usage_refresh, "SORT_INDEX_MIN_ORGANIZATIONS", 3)
    monkeypatch.setattr(usage_refresh, "FILTER_INDEX_MIN_REPOSITORIES", 4)
    package = await _package(session, SHAPES[:2])  # 2 organizations, 3 repositories
    service = UsageRefreshService(session)
    await service.refresh_packages([package.id])
    newcomer = Organization(login=f"new-{uuid.uuid4().hex[:6]}", owner_type="organization")
    session.add(newcomer)
    await session.flush()

    added = await _repositories(session, package, newcomer, 1, 9)
    await service.refresh_repositories(added)
    grown = (await _flags(session, package.id), await _filter_flags(session, package.id))
    await session.execute(
        text("DELETE FROM dependencies WHERE repository_id = :id"), {"id": added[0]}
    )
    await service.refresh_repositories(added)

    assert grown == ([True] * 3, [True] * 4)
    assert await _flags(session, package.id) == [False] * 2
    assert await _filter_flags(session, package.id) == [False] * 3
