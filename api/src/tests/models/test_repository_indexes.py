"""`repositories` keeps only the indexes its queries read (migration 039)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_repositories_keep_their_key_name_and_ranked_organization_indexes(
    session: AsyncSession,
) -> None:
    names = set(
        await session.scalars(
            text(
                "SELECT indexrelid::regclass::text FROM pg_index"
                " WHERE indrelid = 'repositories'::regclass"
            )
        )
    )

    assert names == {
        "pk_repositories",
        "uq_repositories_full_name_lower",
        "ix_repositories_organization_ranked",
    }


async def test_an_organizations_repositories_are_found_through_the_ranked_index(
    session: AsyncSession,
) -> None:
    # As the foreign key's cascade and the lookups by organization find them, whatever the
    # table's size: the sequential scan is taken off the menu.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        await session.scalars(text("EXPLAIN SELECT id FROM repositories WHERE organization_id = 1"))
    )

    assert "ix_repositories_organization_ranked" in plan
