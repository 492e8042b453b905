"""The session every ingestion writer shares."""

from sqlalchemy.ext.asyncio import AsyncSession


class Writes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
