"""SQL for api_keys: lookup by HMAC, listing, revocation and the throttled last-use stamp."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.api_key import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_hash(self, key_hash: str) -> ApiKey | None:
        result = await self._session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
        return result.scalar_one_or_none()

    async def get_by_id(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self._session.get(ApiKey, key_id)

    async def add(self, key: ApiKey) -> ApiKey:
        self._session.add(key)
        await self._session.flush()
        await self._session.refresh(key)
        return key

    async def list_keys(self, *, include_revoked: bool) -> Sequence[ApiKey]:
        statement = select(ApiKey).order_by(ApiKey.id)
        if not include_revoked:
            statement = statement.where(ApiKey.revoked_at.is_(None))
        result = await self._session.execute(statement)
        return result.scalars().all()

    async def revoke(self, key_id: uuid.UUID, at: datetime) -> ApiKey | None:
        """Stamp `revoked_at` once; a second revocation keeps the first time."""
        key = await self.get_by_id(key_id)
        if key is not None and key.revoked_at is None:
            key.revoked_at = at
            await self._session.flush()
        return key

    async def touch_last_used(self, key_id: uuid.UUID, at: datetime) -> None:
        # A bare UPDATE: no ORM load, and updated_at keeps meaning "the key was changed".
        await self._session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(last_used_at=at, updated_at=ApiKey.updated_at)
            .execution_options(synchronize_session=False)
        )
