"""SQL for repositories: lookup by full name with the owner and the declared dependencies."""

from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, ManifestPath, Organization, Package, Repository


class RepositoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_full_name(self, full_name: str) -> tuple[Repository, Organization] | None:
        result = await self._session.execute(
            select(Repository, Organization)
            .join(Organization, Organization.id == Repository.organization_id)
            .where(func.lower(Repository.full_name) == full_name.lower())
        )
        row = result.one_or_none()
        return None if row is None else (row[0], row[1])

    async def list_dependencies(self, repository_id: int) -> list[Row[*tuple[Any, ...]]]:
        result = await self._session.execute(
            select(
                Package.ecosystem,
                Package.name,
                ManifestPath.path.label("manifest_path"),
                Dependency.requirement,
                Dependency.version,
                Dependency.dependency_type,
                Dependency.is_direct,
                Dependency.via,
            )
            .join(Package, Package.id == Dependency.package_id)
            .join(ManifestPath, ManifestPath.id == Dependency.manifest_path_id)
            .where(Dependency.repository_id == repository_id)
            .order_by(Package.ecosystem, Package.name, ManifestPath.path)
        )
        return list(result.all())
