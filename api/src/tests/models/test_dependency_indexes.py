"""`dependencies` keeps only its key (migration 044): the lookups by package name the
repositories too, and the key, led by the repository, serves them."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_dependencies_keep_only_their_key(session: AsyncSession) -> None:
    names = set(
        await session.scalars(
            text(
                "SELECT indexrelid::regclass::text FROM pg_index"
                " WHERE indrelid = 'dependencies'::regclass"
            )
        )
    )

    assert names == {"pk_dependencies"}


async def test_a_packages_declarations_in_given_repositories_read_the_key(
    session: AsyncSession,
) -> None:
    # As a users page's declarations, an aggregator's scoped delete and a usage event's
    # evidence read them, whatever the table's size: the sequential scan is off the menu.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        await session.scalars(
            text(
                "EXPLAIN SELECT manifest_path_id FROM dependencies"
                " WHERE package_id = 7 AND repository_id IN (1, 2, 3)"
            )
        )
    )

    assert "pk_dependencies" in plan
