"""A language-filtered page's sample repositories are the same whichever way they are read:
organization by organization in stars order, or from the language's range of the package at
once; wump picks the range for a language few of the package's organizations use."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import PackageDependent
from app.models.package_usage import kinds_mask
from app.repositories.package_samples import PackageSamplesRepository, reads_language_range
from app.repositories.package_usage import DependentFilter
from tests.api.v1.test_users_property import _load
from tests.repositories.test_package_users_filtered import repositories

filters = st.builds(
    DependentFilter,
    min_stars=st.sampled_from([None, 0, 5]),
    language=st.sampled_from(["python", "Go", "PYTHON"]),
    kinds_mask=st.sampled_from([None, kinds_mask(["runtime"]), kinds_mask(["development"])]),
    include_forks=st.booleans(),
    dependency=st.sampled_from(["direct", "transitive", "any"]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(repos=repositories, f=filters, per_organization=st.integers(1, 3), data=st.data())
async def test_both_reads_give_the_same_samples(
    session: AsyncSession,
    repos: list[Any],
    f: DependentFilter,
    per_organization: int,
    data: st.DataObject,
) -> None:
    savepoint = await session.begin_nested()
    try:
        package = await _load(session, repos)
        found = await session.execute(
            select(PackageDependent.organization_id)
            .where(PackageDependent.package_id == package.id)
            .distinct()
        )
        owners = data.draw(st.permutations(sorted(found.scalars())))
        usage = PackageSamplesRepository(session)

        by_organization = await usage.list_samples(package.id, owners, f, per_organization)
        in_range = await usage.list_samples(package.id, owners, f, per_organization, in_range=True)
    finally:
        await savepoint.rollback()

    assert [tuple(row) for row in in_range] == [tuple(row) for row in by_organization]


async def test_the_range_needs_a_language(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="language"):
        await PackageSamplesRepository(session).list_samples(
            1, [1], DependentFilter(), in_range=True
        )


@pytest.mark.parametrize(
    ("listed", "used_by", "expected"),
    [
        # The most used package of the full dataset, a page of 50.
        (1_148, 54_987, True),  # Python
        (14_984, 54_987, False),  # TypeScript
        # A smaller package most of whose users write that language.
        (1_400, 1_500, False),
        # Its rare language.
        (40, 1_500, True),
        (0, 0, False),
    ],
)
def test_the_range_is_read_for_a_language_few_users_write(
    listed: int, used_by: int, expected: bool
) -> None:
    assert reads_language_range(listed, 50, used_by) is expected
