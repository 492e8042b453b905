"""What every list use case shares: the page size cap, cache parameters and CSV export paging."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from app.core.config import Settings
from app.schemas.pagination import Page
from app.services.errors import PageLimitExceeded

T = TypeVar("T", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)

# Rows fetched per query while a CSV export walks every page.
EXPORT_BATCH = 500


def page_limit(settings: Settings, limit: int | None) -> int:
    if limit is None:
        return min(settings.page_default_limit, settings.page_max_limit)
    if limit > settings.page_max_limit:
        raise PageLimitExceeded(limit, settings.page_max_limit)
    return limit


def cache_params(query: BaseModel, limit: int) -> dict[str, Any]:
    """The query as a cache key sees it: defaults resolved, repeatable values ordered."""
    params = query.model_dump(mode="json", exclude={"format"})
    params["limit"] = limit
    if params.get("kind"):
        params["kind"] = sorted(set(params["kind"]))
    if params.get("language"):
        params["language"] = params["language"].lower()
    return params


async def export_pages(
    fetch: Callable[[Q, int], Awaitable[Page[T]]], query: Q, max_rows: int
) -> AsyncIterator[T]:
    """Every item of every page, up to `max_rows`, EXPORT_BATCH rows per query. The first page
    is read before this returns, so a missing package fails before a response starts."""
    batch = min(EXPORT_BATCH, max_rows)
    current = query.model_copy(update={"cursor": None})
    first = await fetch(current, batch)

    async def items() -> AsyncIterator[T]:
        page, emitted, cursor = first, 0, current
        while True:
            for item in page.items[: max_rows - emitted]:
                yield item
                emitted += 1
            if page.next_cursor is None or emitted >= max_rows:
                return
            cursor = cursor.model_copy(update={"cursor": page.next_cursor})
            page = await fetch(cursor, batch)

    return items()
