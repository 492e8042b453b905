"""Manifest paths for tests that write dependency rows themselves."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories.ingestion.dependencies import DependencyWriter


async def manifest_path_id(session: AsyncSession, path: str) -> int:
    """The id of a manifest path, stored when new, as ingestion stores it."""
    return (await DependencyWriter(session).manifest_path_ids([path]))[path]
