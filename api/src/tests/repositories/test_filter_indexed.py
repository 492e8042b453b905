"""The covering filter index of package_dependents holds the rows of large packages only
(`filter_indexed`): a filtered list reads both sides in one statement (its answers on either
side are checked against direct SQL by the users property test), a large package's through
the covering index, and the writes keep each package's rows on the side its size calls for
(across the threshold: test_sort_indexed, with the rollup's sort indexes)."""

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

import app.repositories.usage_refresh as usage_refresh
from app.models import PackageDependent
from app.models.package_usage import ARCHIVED, FILTER_INDEXED, has_flag
from app.repositories.package_usage import DependentFilter
from app.repositories.package_users_filtered import _aggregates
from app.services.usage_refresh import UsageRefreshService
from tests.repositories.test_sort_indexed import SHAPES, _package


async def _flags(session: AsyncSession, package_id: int) -> list[bool]:
    found = await session.execute(
        select(has_flag(PackageDependent.flags, FILTER_INDEXED))
        .where(PackageDependent.package_id == package_id)
        .order_by(PackageDependent.repository_id)
    )
    return list(found.scalars())


async def _plan(session: AsyncSession, package_id: int, f: DependentFilter) -> str:
    """The plan of the filtered list's aggregate, with sequential scans off: the test tables
    are too small for the planner to prefer an index otherwise."""
    per_org = _aggregates(package_id, f)[1]
    sql = select(per_org).compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    found = await session.execute(text(f"EXPLAIN {sql}"))
    return "\n".join(found.scalars())


async def test_a_large_packages_list_reads_the_covering_index(session: AsyncSession) -> None:
    package = await _package(session, SHAPES)
    await UsageRefreshService(session).refresh_packages([package.id])
    await session.execute(
        update(PackageDependent)
        .where(PackageDependent.package_id == package.id)
        .values(flags=PackageDependent.flags.op("|")(FILTER_INDEXED))
    )

    plan = await _plan(session, package.id, DependentFilter(language="python", min_stars=1))

    assert "Index Only Scan using ix_package_dependents_filter" in plan
    assert "ix_package_dependents_unindexed" in plan
    # The language narrows the index range: the ids of its spellings (migration 045).
    conditions = [line for line in plan.splitlines() if "Index Cond: ((package_id" in line]
    assert len(conditions) == 1
    assert "language_id = ANY" in conditions[0]


async def test_a_whole_package_rebuild_puts_a_large_packages_rows_in_the_filter_index(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usage_refresh, "FILTER_INDEX_MIN_REPOSITORIES", 4)
    small = await _package(session, SHAPES[:2])  # 3 repositories
    large = await _package(session, SHAPES[:3])  # 4 repositories

    await UsageRefreshService(session).refresh_packages([small.id, large.id])

    assert await _flags(session, small.id) == [False] * 3
    assert await _flags(session, large.id) == [True] * 4


async def test_a_fork_does_not_count_towards_the_filter_index(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usage_refresh, "FILTER_INDEX_MIN_REPOSITORIES", 4)
    package = await _package(session, SHAPES[:3])
    await session.execute(
        text(
            "UPDATE repositories SET is_fork = true WHERE id = (SELECT min(repository_id)"
            " FROM dependencies WHERE package_id = :id)"
        ),
        {"id": package.id},
    )

    await UsageRefreshService(session).refresh_packages([package.id])

    assert await _flags(session, package.id) == [False] * 4


async def test_a_repositorys_refresh_leaves_its_rows_side_to_the_packages_count(
    session: AsyncSession,
) -> None:
    """The side of the filter index a row is on moves with its package's count alone (with all
    the package's rows at once): a refresh that rewrites a row's other values keeps it."""
    package = await _package(session, SHAPES[:2])
    service = UsageRefreshService(session)
    await service.refresh_packages([package.id])
    await session.execute(
        update(PackageDependent)
        .where(PackageDependent.package_id == package.id)
        .values(flags=PackageDependent.flags.op("|")(FILTER_INDEXED))
    )
    repository_id = await session.scalar(
        text("SELECT min(repository_id) FROM package_dependents WHERE package_id = :id"),
        {"id": package.id},
    )
    await session.execute(
        text("UPDATE repositories SET stars = stars + 100, is_archived = true WHERE id = :id"),
        {"id": repository_id},
    )

    await service.refresh_repositories([repository_id])

    rewritten = await session.execute(
        select(PackageDependent.stars, has_flag(PackageDependent.flags, ARCHIVED)).where(
            PackageDependent.repository_id == repository_id
        )
    )
    assert rewritten.one() == (105, True)
    assert await _flags(session, package.id) == [True] * 3
