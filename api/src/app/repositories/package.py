"""SQL for packages: lookup by name, search ranked by use."""

from collections.abc import Sequence

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Package


class PackageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_name(self, ecosystem: str, name: str) -> Package | None:
        # populate_existing: the counts may have been refreshed by SQL in this same session.
        result = await self._session.execute(
            select(Package)
            .where(Package.ecosystem == ecosystem, Package.name == name)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def list_by_name(self, names: Sequence[tuple[str, str]]) -> list[Package]:
        """Packages matching any (ecosystem, name) pair, most used first."""
        if not names:
            return []
        result = await self._session.execute(
            select(Package)
            .where(tuple_(Package.ecosystem, Package.name).in_(list(names)))
            .order_by(Package.organization_count.desc(), Package.ecosystem)
        )
        return list(result.scalars())

    async def update_metadata(
        self,
        package_id: int,
        *,
        repository_url: str | None,
        source_owner: str | None,
        homepage_url: str | None,
        description: str | None,
        latest_version: str | None,
    ) -> None:
        """Store what the registry says; a value the registry left out keeps the stored one."""
        await self._session.execute(
            text(
                "UPDATE packages SET repository_url = coalesce(:repository_url, repository_url),"
                " source_owner = CASE WHEN :repository_url IS NULL THEN source_owner"
                "  ELSE CAST(:source_owner AS varchar) END,"
                " homepage_url = coalesce(:homepage_url, homepage_url),"
                " description = coalesce(:description, description),"
                " latest_version = coalesce(:latest_version, latest_version),"
                " updated_at = now() WHERE id = :id"
            ),
            {
                "id": package_id,
                "repository_url": repository_url,
                "source_owner": source_owner,
                "homepage_url": homepage_url,
                "description": description,
                "latest_version": latest_version,
            },
        )

    async def list_keys(self, ids: Sequence[int]) -> list[tuple[str, str]]:
        """(ecosystem, name) of the given packages: plain rows through one array parameter, as
        a refresh names tens of thousands (an IN list of that many binds, and as many model
        objects, cost seconds)."""
        result = await self._session.execute(
            text("SELECT ecosystem, name FROM packages WHERE id = ANY(CAST(:ids AS integer[]))"),
            {"ids": list(ids)},
        )
        return [(ecosystem, name) for ecosystem, name in result]

    async def search(
        self,
        *,
        q: str | None,
        ecosystem: str | None,
        after: tuple[int, int] | None,
        limit: int,
    ) -> list[Package]:
        """Packages whose name contains `q`, most used first, after the keyset `after`."""
        stmt = select(Package)
        if q is not None:
            stmt = stmt.where(Package.name.icontains(q, autoescape=True))
        if ecosystem is not None:
            stmt = stmt.where(Package.ecosystem == ecosystem)
        if after is not None:
            stmt = stmt.where(tuple_(Package.organization_count, Package.id) < tuple_(*after))
        stmt = stmt.order_by(Package.organization_count.desc(), Package.id.desc()).limit(limit)
        result = await self._session.execute(stmt)
        return list(result.scalars())

    async def list_top(self, ecosystem: str, limit: int) -> list[Package]:
        result = await self._session.execute(
            select(Package)
            .where(Package.ecosystem == ecosystem, Package.organization_count > 0)
            .order_by(Package.organization_count.desc(), Package.id.desc())
            .limit(limit)
        )
        return list(result.scalars())
