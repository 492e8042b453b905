"""Repository use cases: one repository with the dependencies its manifests declare."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.ecosystems import Ecosystem, to_purl
from app.core.errors import RepositoryNotFound
from app.repositories.repository import RepositoryRepository
from app.schemas.repository import RepositoryDependencyRead, RepositoryRead, RepositorySummary


class RepositoryService:
    def __init__(self, session: AsyncSession) -> None:
        self._repositories = RepositoryRepository(session)

    async def get(self, owner: str, name: str) -> RepositoryRead:
        found = await self._repositories.get_by_full_name(f"{owner}/{name}")
        if found is None:
            raise RepositoryNotFound(f"no repository {owner[:100]}/{name[:100]}")
        repository, organization = found
        dependencies = [
            RepositoryDependencyRead(
                ecosystem=Ecosystem(row.ecosystem),
                name=row.name,
                purl=to_purl(Ecosystem(row.ecosystem), row.name),
                manifest_path=row.manifest_path,
                requirement=row.requirement,
                version=row.version,
                kind=row.dependency_type,
                is_direct=row.is_direct,
                via=row.via.split() if row.via else [],
            )
            for row in await self._repositories.list_dependencies(repository.id)
        ]
        summary = RepositorySummary.model_validate(repository, from_attributes=True)
        return RepositoryRead(
            **summary.model_dump(),
            owner=organization.login,
            default_branch=repository.default_branch,
            scanned_at=repository.scanned_at,
            dependencies=dependencies,
        )
