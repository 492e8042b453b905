"""Ingestion's upserts of organizations and repositories draw identity values only for rows
they create: a re-crawl that rewrites what exists leaves the 4-byte id sequences where they
were, and still updates the rows."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories.ingestion.organizations import OrganizationFields, OrganizationWriter
from app.repositories.ingestion.repositories import RepositoryFields, RepositoryWriter, ScanState


async def _drawn(session: AsyncSession, table: str) -> int:
    """The sequence's last value: sequences ignore transactions, so every id drawn counts."""
    value = await session.scalar(text(f"SELECT last_value FROM {table}_id_seq"))
    assert isinstance(value, int)
    return value


def _repository(owner: str, name: str, stars: int) -> RepositoryFields:
    return RepositoryFields(
        full_name=f"{owner}/{name}",
        name=name,
        owner=owner,
        github_url=f"https://github.com/{owner}/{name}",
        description=None,
        stars=stars,
        primary_language="Python",
        default_branch="main",
        is_fork=False,
        is_archived=False,
        pushed_at=None,
    )


async def test_rewriting_existing_rows_draws_no_ids(session: AsyncSession) -> None:
    organizations, repositories = OrganizationWriter(session), RepositoryWriter(session)
    login = f"ids-{uuid.uuid4().hex[:8]}"
    others = [f"{login}-{n}" for n in range(3)]
    owner_id, previous = await organizations.upsert_organization(
        OrganizationFields(login=login, owner_type="organization", name="First")
    )
    known = await organizations.ensure_organizations(others)
    scan = ScanState(scanned_at=datetime.now(UTC), scan_error=None)
    first = await repositories.upsert_repositories(
        [(owner_id, _repository(login, f"r{n}", n), scan) for n in range(4)]
    )
    drawn = {table: await _drawn(session, table) for table in ("organizations", "repositories")}

    again_id, again_previous = await organizations.upsert_organization(
        OrganizationFields(login=login.upper(), owner_type="user", name="Second")
    )
    assert await organizations.ensure_organizations([o.upper() for o in others]) == known
    again = await repositories.upsert_repositories(
        [(owner_id, _repository(login, f"r{n}", 10 + n), None) for n in range(4)]
    )

    assert (previous, again_id, again_previous) == (None, owner_id, "organization")
    assert again == first
    assert {table: await _drawn(session, table) for table in drawn} == drawn
    written = await session.execute(
        text(
            "SELECT o.login, o.owner_type, o.name, array_agg(r.stars ORDER BY r.stars)"
            " FROM organizations o JOIN repositories r ON r.organization_id = o.id"
            " WHERE o.id = :id GROUP BY o.id"
        ),
        {"id": owner_id},
    )
    assert written.one() == (login.upper(), "user", "Second", [10, 11, 12, 13])


async def test_new_rows_among_existing_ones_get_ids_of_their_own(session: AsyncSession) -> None:
    organizations, repositories = OrganizationWriter(session), RepositoryWriter(session)
    login = f"ids-{uuid.uuid4().hex[:8]}"
    owner_id, _ = await organizations.upsert_organization(
        OrganizationFields(login=login, owner_type="organization")
    )
    old = await repositories.upsert_repositories([(owner_id, _repository(login, "old", 1), None)])
    drawn = await _drawn(session, "repositories")

    both = await repositories.upsert_repositories(
        [(owner_id, _repository(login, name, 2), None) for name in ("new", "old")]
    )

    assert both[f"{login}/old"] == old[f"{login}/old"]
    assert both[f"{login}/new"] not in old.values()
    assert await _drawn(session, "repositories") == drawn + 1
