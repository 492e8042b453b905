"""Property: on random data, the users endpoint agrees with a direct SQL aggregate over the
source tables (dependencies, repositories, organizations), for random filters, sorts and
`dependency` values, with and without per-kind rollup rows: its lists, totals, direct and
transitive counts, via and the count of organizations left out as transitive only."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, Repository
from app.models.package_usage import FILTER_INDEXED, KIND_USAGE_MIN_REPOSITORIES
from app.services.usage_refresh import UsageRefreshService
from tests.paths import manifest_path_id

LANGUAGES = ["Python", "Go", None]
KINDS = ["runtime", "development", "optional", "peer", "excluded"]
BASE = datetime(2026, 1, 1, tzinfo=UTC)
# (is_direct, via) of a declaration: unknown and declared count as direct use.
USES: list[tuple[bool | None, str | None]] = [
    (None, None),
    (True, None),
    (False, "lib-a"),
    (False, "lib-b lib-a"),
]

repositories = st.lists(
    st.tuples(
        st.integers(0, 3),  # owner
        st.integers(0, 60),  # stars
        st.sampled_from(LANGUAGES),
        st.one_of(st.none(), st.integers(0, 300)),  # days after BASE
        st.booleans(),  # fork
        st.booleans(),  # archived
        # Each declaration: its kind and how it is used (an index of USES).
        st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=3),
    ),
    max_size=14,
)
queries = st.fixed_dictionaries(
    {},
    optional={
        "min_stars": st.integers(0, 60),
        "language": st.sampled_from(["python", "Go"]),
        "pushed_after": st.dates(date(2026, 1, 1), date(2026, 11, 1)),
        "kind": st.lists(st.sampled_from(KINDS[:4]), min_size=1, max_size=2),
        "include_forks": st.booleans(),
        "include_archived": st.booleans(),
        "owner_type": st.sampled_from(["organization", "user"]),
        "sort": st.sampled_from(["repositories", "stars", "recent", "name"]),
        "dependency": st.sampled_from(["direct", "transitive", "any"]),
    },
)
# One kind and nothing else: on a package with per-kind rollup rows, answered from them.
kind_queries = st.fixed_dictionaries(
    {"kind": st.lists(st.sampled_from(KINDS[:4]), min_size=1, max_size=1)},
    optional={"sort": st.sampled_from(["repositories", "stars", "recent", "name"])},
)

# The oracle: one plain aggregate over the source tables, written independently of the app.
ORACLE = text(
    """
    WITH used AS (
      SELECT r.id, r.organization_id, r.stars, r.pushed_at,
        -- Direct use: some declaration of the package (of any kind) is, or does not say.
        EXISTS (SELECT FROM dependencies d2 WHERE d2.repository_id = r.id
          AND d2.package_id = :package_id AND d2.is_direct IS NOT FALSE
          AND d2.dependency_type NOT IN ('excluded', 'managed', 'suggested')) AS direct
      FROM dependencies d
      JOIN repositories r ON r.id = d.repository_id
      JOIN organizations o ON o.id = r.organization_id
      WHERE d.package_id = :package_id
        AND d.dependency_type NOT IN ('excluded', 'managed', 'suggested')
        AND (:forks OR NOT r.is_fork) AND (:archived OR NOT r.is_archived)
        AND (CAST(:min_stars AS int) IS NULL OR r.stars >= :min_stars)
        AND (CAST(:language AS text) IS NULL OR lower(r.primary_language) = lower(:language))
        AND (CAST(:pushed_after AS timestamptz) IS NULL OR r.pushed_at >= :pushed_after)
        AND (CAST(:owner_type AS text) IS NULL OR o.owner_type = :owner_type)
        AND (CAST(:kinds AS text[]) IS NULL
          OR CAST(d.dependency_type AS text) = ANY(CAST(:kinds AS text[])))
      GROUP BY r.id
    )
    SELECT o.login,
      count(*) FILTER (WHERE :dependency = 'any' OR u.direct = (:dependency = 'direct'))
        AS repository_count,
      sum(u.stars) FILTER (WHERE :dependency = 'any' OR u.direct = (:dependency = 'direct'))
        AS total_stars,
      max(u.pushed_at) FILTER (WHERE :dependency = 'any' OR u.direct = (:dependency = 'direct'))
        AS latest_push,
      count(*) FILTER (WHERE u.direct) AS direct_repository_count,
      count(*) FILTER (WHERE NOT u.direct) AS transitive_repository_count
    FROM used u JOIN organizations o ON o.id = u.organization_id
    GROUP BY o.login
    """
)
# The via of each organization's transitive-only repositories: (login, name, repositories),
# from their declarations that count as use (an excluded one's via is not a way in).
ORACLE_VIA = text(
    """
    SELECT o.login, v.name, count(DISTINCT r.id) AS n
    FROM repositories r JOIN organizations o ON o.id = r.organization_id
    JOIN dependencies d ON d.repository_id = r.id AND d.package_id = :package_id
      AND d.dependency_type NOT IN ('excluded', 'managed', 'suggested')
    CROSS JOIN unnest(string_to_array(d.via, ' ')) AS v(name)
    WHERE r.id = ANY(CAST(:transitive AS integer[]))
    GROUP BY o.login, v.name
    """
)


# Which of a package's package_dependents rows are in the filter index (FILTER_INDEXED).
SIDES = {"unindexed": "false", "indexed": "true", "mixed": "repository_id % 2 = 0"}


async def _load(
    session: AsyncSession, repos: list[Any], kind_usage_minimum: int = KIND_USAGE_MIN_REPOSITORIES
) -> Package:
    """The package and its dependents; with `kind_usage_minimum` 0, with per-kind rollup rows."""
    package = Package(ecosystem="pypi", name=f"prop-{uuid.uuid4().hex[:8]}")
    session.add(package)
    owners = []
    for n in range(4):
        login = f"prop-{uuid.uuid4().hex[:6]}-{n}"
        owner = Organization(login=login, owner_type="user" if n == 3 else "organization")
        owners.append(owner)
        session.add(owner)
    await session.flush()
    for owner, stars, language, days, fork, archived, declarations in repos:
        full_name = f"{owners[owner].login}/r-{uuid.uuid4().hex[:8]}"
        repository = Repository(
            organization_id=owners[owner].id,
            name=full_name.split("/")[1],
            full_name=full_name,
            github_url=f"https://github.com/{full_name}",
            stars=stars,
            primary_language=language,
            pushed_at=None if days is None else BASE + timedelta(days=days),
            is_fork=fork,
            is_archived=archived,
        )
        session.add(repository)
        await session.flush()
        for index, (kind, use) in enumerate(declarations):
            is_direct, via = USES[use]
            session.add(
                Dependency(
                    repository_id=repository.id,
                    package_id=package.id,
                    manifest_path_id=await manifest_path_id(session, f"m{index}"),
                    dependency_type=kind,
                    is_direct=is_direct,
                    via=via,
                )
            )
    await session.flush()
    await UsageRefreshService(session, kind_usage_minimum).refresh_packages([package.id])
    await session.refresh(package)
    return package


async def _transitive_repositories(
    session: AsyncSession, package_id: int, query: dict[str, Any]
) -> list[int]:
    """Ids of the repositories the query's filters keep (whatever `dependency`) that use the
    package only transitively."""
    found = await session.execute(
        text(
            "SELECT r.id FROM repositories r JOIN organizations o ON o.id = r.organization_id"
            " JOIN dependencies d ON d.repository_id = r.id AND d.package_id = :package_id"
            " AND d.dependency_type NOT IN ('excluded', 'managed', 'suggested')"
            " WHERE (:forks OR NOT r.is_fork) AND (:archived OR NOT r.is_archived)"
            " AND (CAST(:min_stars AS int) IS NULL OR r.stars >= :min_stars)"
            " AND (CAST(:language AS text) IS NULL"
            "  OR lower(r.primary_language) = lower(:language))"
            " AND (CAST(:pushed_after AS timestamptz) IS NULL OR r.pushed_at >= :pushed_after)"
            " AND (CAST(:owner_type AS text) IS NULL OR o.owner_type = :owner_type)"
            " GROUP BY r.id"
            " HAVING NOT bool_or(d.is_direct IS NOT FALSE)"
            " AND (CAST(:kinds AS text[]) IS NULL"
            "  OR bool_or(CAST(d.dependency_type AS text) = ANY(CAST(:kinds AS text[]))))"
        ),
        {
            "package_id": package_id,
            "forks": query.get("include_forks", False),
            "archived": query.get("include_archived", False),
            "min_stars": query.get("min_stars"),
            "language": query.get("language"),
            "pushed_after": datetime.combine(query["pushed_after"], datetime.min.time(), UTC)
            if query.get("pushed_after")
            else None,
            "owner_type": query.get("owner_type"),
            "kinds": query.get("kind"),
        },
    )
    return list(found.scalars())


def _sort_key(sort: str, row: dict[str, Any]) -> Any:
    never = datetime.min.replace(tzinfo=UTC)
    return {
        # Ties by stars, then login.
        "repositories": (-row["repository_count"], -row["total_stars"], row["login"].lower()),
        "stars": -row["total_stars"],
        "recent": -(row["latest_push"] or never).timestamp()
        if row["latest_push"]
        else float("inf"),
        "name": row["login"].lower(),
    }[sort]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    repos=repositories,
    query=st.one_of(queries, kind_queries),
    limit=st.integers(1, 4),
    rolled_up=st.booleans(),
    side=st.sampled_from(list(SIDES)),
)
async def test_users_endpoint_matches_a_direct_sql_aggregate(
    api: AsyncClient,
    session: AsyncSession,
    repos: list[Any],
    query: dict[str, Any],
    limit: int,
    rolled_up: bool,
    side: str,
) -> None:
    savepoint = await session.begin_nested()
    try:
        package = await _load(session, repos, 0 if rolled_up else KIND_USAGE_MIN_REPOSITORIES)
        # The package's rows on either side of the filter index, or moving between them.
        await session.execute(
            text(
                f"UPDATE package_dependents SET flags = CASE WHEN {SIDES[side]}"
                f" THEN flags | {FILTER_INDEXED} ELSE flags & ~{FILTER_INDEXED} END"
                " WHERE package_id = :id"
            ),
            {"id": package.id},
        )
        items: list[dict[str, Any]] = []
        cursor = None
        total = transitive_only = None
        for _ in range(20):
            params = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
            response = await api.get(f"/api/v1/packages/pypi/{package.name}/users", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            total, transitive_only = page["total"], page["transitive_only_total"]
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        pushed_after = query.get("pushed_after")
        oracle = await session.execute(
            ORACLE,
            {
                "package_id": package.id,
                "forks": query.get("include_forks", False),
                "archived": query.get("include_archived", False),
                "min_stars": query.get("min_stars"),
                "language": query.get("language"),
                "pushed_after": datetime.combine(pushed_after, datetime.min.time(), UTC)
                if pushed_after
                else None,
                "owner_type": query.get("owner_type"),
                "kinds": query.get("kind"),
                "dependency": query.get("dependency", "direct"),
            },
        )
        everyone = [dict(row._mapping) for row in oracle]
        transitive_ids = await _transitive_repositories(session, package.id, query)
        via_rows = await session.execute(
            ORACLE_VIA, {"package_id": package.id, "transitive": transitive_ids}
        )
        expected_via: dict[str, list[dict[str, Any]]] = {}
        for login, name, n in sorted(via_rows, key=lambda row: (row[0], -row[2], row[1])):
            expected_via.setdefault(login, []).append({"name": name, "repository_count": n})
    finally:
        await savepoint.rollback()

    expected = [row for row in everyone if row["repository_count"]]
    dependency = query.get("dependency", "direct")
    assert transitive_only == (
        sum(1 for row in everyone if not row["direct_repository_count"])
        if dependency == "direct"
        else None
    )
    assert {
        item["login"]: (
            item["direct_repository_count"],
            item["transitive_repository_count"],
            item["via"],
        )
        for item in items
    } == {
        row["login"]: (
            row["direct_repository_count"],
            row["transitive_repository_count"],
            expected_via.get(row["login"], []),
        )
        for row in expected
    }

    got = {
        item["login"]: (
            item["repository_count"],
            item["total_stars"],
            item["latest_push"],
        )
        for item in items
    }
    assert len(items) == len(got) == total
    assert got == {
        row["login"]: (
            row["repository_count"],
            row["total_stars"],
            row["latest_push"].isoformat().replace("+00:00", "Z") if row["latest_push"] else None,
        )
        for row in expected
    }
    sort = query.get("sort", "repositories")
    keys = [_sort_key(sort, {**row, "login": row["login"]}) for row in expected]
    by_login = dict(zip((row["login"] for row in expected), keys, strict=True))
    ordered = [by_login[item["login"]] for item in items]
    assert ordered == sorted(ordered)
