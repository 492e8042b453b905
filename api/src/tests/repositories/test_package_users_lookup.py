"""A users list finds its package and the organization owning the package's source repository
(left out of the list unless asked for) in one statement."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, Package, PackageUsage
from app.repositories.package_users import OwnRow, PackageUsersRepository


async def _organization(session: AsyncSession, login: str) -> Organization:
    organization = Organization(login=login, owner_type="organization")
    session.add(organization)
    await session.flush()
    return organization


async def _package(session: AsyncSession, source_owner: str | None) -> Package:
    package = Package(
        ecosystem="npm", name=f"own-{uuid.uuid4().hex[:8]}", source_owner=source_owner
    )
    session.add(package)
    await session.flush()
    return package


def _rollup_row(package: Package, organization: Organization, *, direct: bool) -> PackageUsage:
    return PackageUsage(
        package_id=package.id,
        organization_id=organization.id,
        login_key=organization.login.lower(),
        owner_is_user=False,
        repository_count=1,
        total_stars=0,
        languages="",
        kinds=1,
        has_direct_use=direct,
        transitive_repository_count=0 if direct else 1,
    )


async def test_the_package_comes_with_its_source_owner_and_how_its_row_counts(
    session: AsyncSession, statements: list[str]
) -> None:
    suffix = uuid.uuid4().hex[:6]
    direct = await _organization(session, f"Direct-{suffix}")
    transitive = await _organization(session, f"transitive-{suffix}")
    unused = await _organization(session, f"unused-{suffix}")
    # The stored owner is the source URL's spelling, not always the login's.
    uses_directly = await _package(session, f"direct-{suffix}")
    uses_transitively = await _package(session, f"TRANSITIVE-{suffix}")
    not_using = await _package(session, f"unused-{suffix}")
    unknown_owner = await _package(session, f"nobody-{suffix}")
    no_owner = await _package(session, None)
    session.add_all(
        [
            _rollup_row(uses_directly, direct, direct=True),
            _rollup_row(uses_transitively, transitive, direct=False),
            # Another package's row of the same organization does not count.
            _rollup_row(uses_directly, unused, direct=True),
        ]
    )
    await session.flush()
    users = PackageUsersRepository(session)

    found = {}
    for package in (uses_directly, uses_transitively, not_using, unknown_owner, no_owner):
        before = len(statements)
        result = await users.find_package("npm", package.name)
        assert len(statements) == before + 1
        assert result is not None
        assert result[0].id == package.id
        found[package.name] = result[1]
    missing = await users.find_package("npm", f"missing-{suffix}")

    assert found == {
        uses_directly.name: OwnRow(direct.id, True),
        uses_transitively.name: OwnRow(transitive.id, False),
        not_using.name: OwnRow(unused.id, None),
        unknown_owner.name: OwnRow(None, None),
        no_owner.name: OwnRow(None, None),
    }
    assert missing is None
