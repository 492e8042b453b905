"""SQL for organizations: lookup by login, search, their repositories."""

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, Repository


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_login(self, login: str) -> Organization | None:
        result = await self._session.execute(
            select(Organization).where(func.lower(Organization.login) == login.lower())
        )
        return result.scalar_one_or_none()

    async def list_by_ids(self, ids: list[int]) -> list[Organization]:
        result = await self._session.execute(select(Organization).where(Organization.id.in_(ids)))
        return list(result.scalars())

    async def search(
        self, *, q: str | None, after: tuple[int, int] | None, limit: int
    ) -> list[Organization]:
        """Organizations whose login or name contains `q`, most starred first."""
        stmt = select(Organization)
        if q is not None:
            stmt = stmt.where(
                or_(
                    Organization.login.icontains(q, autoescape=True),
                    Organization.name.icontains(q, autoescape=True),
                )
            )
        if after is not None:
            stmt = stmt.where(tuple_(Organization.total_stars, Organization.id) < tuple_(*after))
        stmt = stmt.order_by(Organization.total_stars.desc(), Organization.id.desc()).limit(limit)
        result = await self._session.execute(stmt)
        return list(result.scalars())

    async def count_repositories(
        self,
        organization_id: int,
        *,
        include_forks: bool = True,
        include_archived: bool = True,
    ) -> int:
        stmt = (
            select(func.count())
            .select_from(Repository)
            .where(Repository.organization_id == organization_id)
        )
        if not include_forks:
            stmt = stmt.where(Repository.is_fork.is_(False))
        if not include_archived:
            stmt = stmt.where(Repository.is_archived.is_(False))
        return int((await self._session.execute(stmt)).scalar_one())

    async def list_repositories(
        self,
        organization_id: int,
        *,
        include_forks: bool,
        include_archived: bool,
        after: tuple[int, int] | None,
        limit: int,
    ) -> list[Repository]:
        stmt = select(Repository).where(Repository.organization_id == organization_id)
        if not include_forks:
            stmt = stmt.where(Repository.is_fork.is_(False))
        if not include_archived:
            stmt = stmt.where(Repository.is_archived.is_(False))
        if after is not None:
            stmt = stmt.where(tuple_(Repository.stars, Repository.id) < tuple_(*after))
        stmt = stmt.order_by(Repository.stars.desc(), Repository.id.desc()).limit(limit)
        result = await self._session.execute(stmt)
        return list(result.scalars())
