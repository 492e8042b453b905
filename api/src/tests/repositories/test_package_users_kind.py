"""A users list filtered by one kind, read from the per-kind rollup, holds the same rows,
figures, scores, via and totals as the exact aggregate over the package's dependents, page after
page, in each order, on random data, with and without an organization left
out."""

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dependency import DEPENDENCY_TYPES
from app.models.package_usage import kind_bit, via_pairs
from app.repositories.package_usage import DependentFilter, UsersSort
from app.repositories.package_user_uses import UserUsesRepository
from app.repositories.package_users import UserFilter
from app.repositories.package_users_filtered import FilteredUsersRepository
from app.repositories.package_users_kind import KIND_SORTS, KindUsersRepository
from tests.api.v1.test_users_property import KINDS, LANGUAGES, _load
from tests.repositories import test_package_users_filtered as filtered

# The figures both paths show (and the owner's signals, as one), and each order's cursor.
COLUMNS = (*filtered.COLUMNS, "sponsorship_url")
AFTER = {**filtered.AFTER, "readiness": ("readiness", "organization_id")}

# Few star values, so organizations tie on (repositories, stars) and pages split the ties.
repositories = st.lists(
    st.tuples(
        st.integers(0, 3),  # owner
        st.sampled_from([0, 5]),  # stars
        st.sampled_from(LANGUAGES),
        st.one_of(st.none(), st.integers(0, 2)),  # days after the base date
        # Mostly kept: forks and archived repositories are left out of every list.
        st.sampled_from([False, False, False, True]),  # fork
        st.sampled_from([False, False, False, True]),  # archived
        st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=3),
    ),
    min_size=8,
    max_size=20,
)


async def assert_kind_pages_match(
    session: AsyncSession,
    package_id: int,
    kind: str,
    limit: int,
    exclude: tuple[int, ...] = (),
    sort: UsersSort = "repositories",
) -> int:
    """Page through the kind's list from the rollup and from the exact aggregate and assert
    they agree; returns the list's total."""
    rolled_up = KindUsersRepository(session)
    exact = FilteredUsersRepository(session)
    f = DependentFilter(kinds_mask=kind_bit(kind))
    after: Any = None
    for _ in range(30):
        got = await rolled_up.list_users(
            package_id, DEPENDENCY_TYPES.index(kind), exclude, sort=sort, after=after, limit=limit
        )
        expected = await exact.list_users(
            package_id,
            f,
            UserFilter(exclude=exclude),
            sort=sort,
            after=after,
            limit=limit,
        )
        assert (got.total, got.transitive_only) == (expected.total, expected.transitive_only)
        assert [tuple(getattr(row, c) for c in COLUMNS) for row in got.rows] == [
            tuple(getattr(row, c) for c in COLUMNS) for row in expected.rows
        ]
        ids = [row.organization_id for row in got.rows]
        # The exact aggregate counts uses with its page in the orders it ranks itself, else
        # for the page's organizations afterwards.
        uses, vias = await UserUsesRepository(session).list_use_counts(
            package_id, ids, f, expected.uses
        )
        assert got.uses == uses
        assert {row.organization_id: via_pairs(row.via) for row in got.rows} == {
            organization_id: vias.get(organization_id, []) for organization_id in ids
        }
        if len(got.rows) < limit:
            return got.total
        after = tuple(getattr(got.rows[-1], name) for name in AFTER[sort])
    raise AssertionError("more pages than the data can hold")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# An organization with a language only among its repositories of transitive use: the list
# names only the languages of direct use.
@example(
    repos=[
        (0, 5, "Python", 1, False, False, [("runtime", 1)]),
        (0, 0, "Go", 2, False, False, [("runtime", 2)]),
        (1, 0, "Go", None, False, False, [("runtime", 3), ("development", 0)]),
        (1, 5, None, 0, False, False, [("development", 0)]),
    ],
    kind="runtime",
    sort="repositories",
    limit=1,
    exclude_first=False,
)
# Every organization listed, ranked differently by each order, with ties on stars.
@example(
    repos=[
        (0, 5, "Python", 2, False, False, [("runtime", 0)]),
        (0, 5, "Go", None, False, False, [("runtime", 1)]),
        (1, 0, "Go", 0, False, False, [("runtime", 0), ("peer", 2)]),
        (1, 5, None, 1, False, False, [("runtime", 3)]),
        (2, 5, "Python", 1, False, False, [("runtime", 0)]),
        (2, 5, "Python", None, False, False, [("development", 0)]),
        (3, 0, None, 2, False, False, [("runtime", 1)]),
        (3, 5, "Go", 0, False, False, [("runtime", 1)]),
        (3, 5, "Go", 0, False, False, [("runtime", 2)]),
    ],
    kind="runtime",
    sort="stars",
    limit=1,
    exclude_first=True,
)
@example(
    repos=[
        (0, 5, "Python", 2, False, False, [("runtime", 0)]),
        (1, 0, "Go", 0, False, False, [("runtime", 0)]),
        (2, 5, "Python", 1, False, False, [("runtime", 0)]),
        (3, 0, None, None, False, False, [("runtime", 1)]),
        (3, 5, "Go", 2, False, False, [("runtime", 2)]),
    ],
    kind="runtime",
    sort="recent",
    limit=2,
    exclude_first=False,
)
@given(
    repos=repositories,
    kind=st.sampled_from(KINDS[:4]),
    sort=st.sampled_from(KIND_SORTS),
    limit=st.integers(1, 3),
    exclude_first=st.booleans(),
)
async def test_kind_pages_from_the_rollup_match_the_exact_aggregate(
    session: AsyncSession,
    repos: list[Any],
    kind: str,
    sort: UsersSort,
    limit: int,
    exclude_first: bool,
) -> None:
    savepoint = await session.begin_nested()
    try:
        package = await _load(session, repos, kind_usage_minimum=0)
        assert package.has_kind_usage
        exclude: tuple[int, ...] = ()
        if exclude_first:
            everyone = await KindUsersRepository(session).list_users(
                package.id, DEPENDENCY_TYPES.index(kind), (), sort=sort, after=None, limit=100
            )
            if everyone.rows:
                exclude = (everyone.rows[0].organization_id,)
        await assert_kind_pages_match(session, package.id, kind, limit, exclude, sort)
    finally:
        await savepoint.rollback()
