"""ix_package_dependents_pair (package, organization, stars): the refresh reads a package's
package_dependents rows, or one organization's of them, through it rather than the whole table
or the whole package; an organization's most starred repositories of a package are read from it
in stars order; and a rebuild lays the rows out in its order, so one organization's rows of a
package share pages."""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, Package
from app.repositories.derived_rows import insert_usage
from app.repositories.package_samples import samples_statement
from app.repositories.package_usage import DependentFilter
from app.repositories.usage_refresh import PAIR_SCOPE, _scope
from app.services.usage_refresh import UsageRefreshService
from tests.repositories.test_sort_indexed import SHAPES, _package, _repositories


async def _plan(session: AsyncSession, sql: str, params: dict[str, object]) -> str:
    """The statement's plan with sequential scans off: the test tables are too small for the
    planner to prefer an index otherwise."""
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    found = await session.execute(text(f"EXPLAIN {sql}"), params)
    return "\n".join(found.scalars())


async def test_a_pairs_refresh_reads_its_rows_through_the_pair_index(
    session: AsyncSession,
) -> None:
    package = await _package(session, SHAPES)
    await UsageRefreshService(session).refresh_packages([package.id])
    organization_id = (
        await session.execute(
            text("SELECT min(organization_id) FROM package_dependents WHERE package_id = :id"),
            {"id": package.id},
        )
    ).scalar_one()

    plan = await _plan(
        session,
        insert_usage(f"AND {PAIR_SCOPE}", whole_packages=False, sort_minimum=2_000).text,
        {"pair_packages": [package.id], "pair_organizations": [organization_id]},
    )

    assert "Index Cond: ((package_id = unnest.unnest) AND (organization_id" in plan
    assert "ix_package_dependents_pair" in plan


async def test_a_package_refresh_finds_its_rows_through_the_pair_index(
    session: AsyncSession,
) -> None:
    package = await _package(session, SHAPES)
    await UsageRefreshService(session).refresh_packages([package.id])

    scope, params = _scope("", [package.id], None)

    plan = await _plan(session, f"DELETE FROM package_dependents WHERE {scope}", params)

    assert "ix_package_dependents_pair" in plan


async def test_an_organizations_top_repositories_are_read_in_stars_order(
    session: AsyncSession,
) -> None:
    package = await _package(session, SHAPES)
    await UsageRefreshService(session).refresh_packages([package.id])
    owners = await session.execute(
        text("SELECT DISTINCT organization_id FROM package_dependents WHERE package_id = :id"),
        {"id": package.id},
    )
    statement = samples_statement(DependentFilter(), 3).params(
        package_id=package.id, owner_ids=list(owners.scalars())
    )
    sql = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )

    plan = await _plan(session, str(sql), {})

    assert "ix_package_dependents_pair" in plan
    # Read in the index's stars order (only ties sorted), not gathered and sorted.
    assert "Presorted Key: package_dependents.stars" in plan


async def test_a_package_rebuild_lays_its_rows_out_in_the_pair_indexs_order(
    session: AsyncSession,
) -> None:
    package = Package(ecosystem="npm", name=f"laid-out-{uuid.uuid4().hex[:8]}")
    owners = [
        Organization(login=f"lay{i}-{uuid.uuid4().hex[:6]}", owner_type="organization")
        for i in range(2)
    ]
    session.add_all([package, *owners])
    await session.flush()
    # Created alternately, so the repositories' ids interleave the two owners and run against
    # their stars.
    for owner, stars in [
        (owners[1], 1),
        (owners[0], 2),
        (owners[1], 9),
        (owners[0], 7),
        (owners[1], 4),
    ]:
        await _repositories(session, package, owner, 1, stars)
    await UsageRefreshService(session).refresh_packages([package.id])

    found = await session.execute(
        text(
            "SELECT organization_id, stars FROM package_dependents WHERE package_id = :id"
            " ORDER BY ctid"
        ),
        {"id": package.id},
    )

    rows = [tuple(row) for row in found]
    assert rows == sorted(rows, key=lambda row: (row[0], -row[1]))
