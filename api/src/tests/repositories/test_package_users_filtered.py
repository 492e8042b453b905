"""A filtered users page ranked on the aggregates alone (joining only the page's organizations)
holds the same rows, figures, scores and totals as the page built by scoring every
organization, page after page, on random data and filters."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.package_usage import kinds_mask
from app.repositories.package_usage import DependentFilter, UsersSort
from app.repositories.package_users import UserFilter
from app.repositories.package_users_filtered import FilteredUsersRepository
from tests.api.v1.test_users_property import KINDS, LANGUAGES, _load

# Two spellings of one language: a language filter matches both, and an organization may use
# both. Few star and push values, so organizations tie on the sort keys and pages split ties.
SPELLINGS = [*LANGUAGES, "python"]
repositories = st.lists(
    st.tuples(
        st.integers(0, 3),  # owner
        st.sampled_from([0, 5]),  # stars
        st.sampled_from(SPELLINGS),
        st.one_of(st.none(), st.integers(0, 2)),  # days after the base date
        st.booleans(),  # fork
        st.just(False),  # archived
        st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=2),
    ),
    min_size=8,
    max_size=16,
)

filters = st.builds(
    DependentFilter,
    min_stars=st.sampled_from([None, 0, 5]),
    language=st.sampled_from([None, "python"]),
    kinds_mask=st.sampled_from([None, kinds_mask(["runtime"]), kinds_mask(["development"])]),
    include_forks=st.booleans(),
    dependency=st.sampled_from(["direct", "transitive", "any"]),
)
COLUMNS = (
    "organization_id",
    "repository_count",
    "total_stars",
    "latest_push",
    "kinds",
    "languages",
    "login_key",
    "readiness_rules",
    "readiness",
    "login",
)
AFTER = {
    "repositories": ("repository_count", "total_stars", "login_key"),
    "stars": ("total_stars", "organization_id"),
    "recent": ("latest_push", "organization_id"),
    "name": ("login_key", "organization_id"),
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    repos=repositories,
    f=filters,
    sort=st.sampled_from(list(AFTER)),
    limit=st.integers(1, 3),
    exclude_first=st.booleans(),
)
async def test_ranked_pages_match_pages_scored_for_every_organization(
    session: AsyncSession,
    repos: list[Any],
    f: DependentFilter,
    sort: UsersSort,
    limit: int,
    exclude_first: bool,
) -> None:
    savepoint = await session.begin_nested()
    try:
        package = await _load(session, repos)
        users = FilteredUsersRepository(session)
        uf = UserFilter()
        if exclude_first:
            everyone = await users._list_scored(package.id, f, uf, sort=sort, after=None, limit=100)
            if everyone.rows:
                uf = UserFilter(exclude=(everyone.rows[0].organization_id,))
        after = None
        for _ in range(20):
            ranked = await users._list_ranked(
                package.id, f, uf, sort=sort, after=after, limit=limit
            )
            scored = await users._list_scored(
                package.id, f, uf, sort=sort, after=after, limit=limit
            )
            assert (ranked.total, ranked.transitive_only) == (scored.total, scored.transitive_only)
            assert [tuple(getattr(row, c) for c in COLUMNS) for row in ranked.rows] == [
                tuple(getattr(row, c) for c in COLUMNS) for row in scored.rows
            ]
            if len(ranked.rows) < limit:
                break
            after = tuple(getattr(ranked.rows[-1], name) for name in AFTER[sort])
    finally:
        await savepoint.rollback()


async def test_each_page_row_counts_its_own_spellings(session: AsyncSession) -> None:
    # Owner 0 spells the language both ways once each (a tie, so byte order: "Python" first);
    # owner 1, on the same page, spells it "python" twice.
    repos = [
        (0, 0, "Python", None, False, False, [("runtime", 0)]),
        (0, 0, "python", None, False, False, [("runtime", 0)]),
        (1, 0, "python", None, False, False, [("runtime", 0)]),
        (1, 0, "python", None, False, False, [("runtime", 0)]),
    ]
    package = await _load(session, repos)

    page = await FilteredUsersRepository(session).list_users(
        package.id,
        DependentFilter(language="python"),
        UserFilter(),
        sort="stars",
        after=None,
        limit=2,
    )

    languages = {row.login[-1]: row.languages for row in page.rows}
    assert languages == {"0": ["Python", "python"], "1": ["python"]}


async def test_a_min_stars_filter_sends_the_statement_of_the_list_without_it(
    session: AsyncSession, statements: list[str]
) -> None:
    # One statement to compile and prepare, which the warm-up's language filter has done.
    package = await _load(session, [(0, 5, "Python", None, False, False, [("runtime", 0)])])
    sent = []
    for f in (DependentFilter(language="python"), DependentFilter(language="python", min_stars=5)):
        statements.clear()
        page = await FilteredUsersRepository(session).list_users(
            package.id, f, UserFilter(), sort="repositories", after=None, limit=1
        )
        assert len(page.rows) == 1
        sent.append(list(statements))

    assert sent[0] == sent[1]
