"""Keyset pagination for every list: the page size cap, opaque cursors, `paginate()`, and the
`Listing` a router answers as one JSON page (cached when asked) or as every row in CSV."""

import base64
import binascii
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from app.core.config import Settings
from app.core.errors import InvalidCursor, PageLimitExceeded
from app.core.text import is_storable
from app.schemas.pagination import ListQuery, Page
from app.services.usage_cache import CacheEntry, UsageCache

T = TypeVar("T", bound=BaseModel)
Q = TypeVar("Q", bound=ListQuery)
R = TypeVar("R")

KeyType = Literal["int", "str", "datetime", "none"]
# Organizations, packages and repositories have integer ids; jobs, events and deliveries uuids.
IdType = Literal["int", "uuid"]
# (sort value, tie-breaking id) of the last row of a page, or its sort values when a list
# breaks ties by further sort values (Keyset.then).
After = tuple[Any, ...]

# Rows fetched per query while a CSV export walks every page.
EXPORT_BATCH = 500


def page_limit(settings: Settings, limit: int | None) -> int:
    if limit is None:
        return min(settings.page_default_limit, settings.page_max_limit)
    if limit > settings.page_max_limit:
        raise PageLimitExceeded(limit, settings.page_max_limit)
    return limit


# Cursors: the sort and the last row's key, base64url-encoded JSON.


def encode_cursor(sort: str, key: Any, row_id: int | uuid.UUID) -> str:
    return _encode([sort, key, str(row_id) if isinstance(row_id, uuid.UUID) else row_id])


def _encode(parts: list[Any]) -> str:
    values = [part.isoformat() if isinstance(part, datetime) else part for part in parts]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(cursor: str, sort: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if not isinstance(parts, list) or len(parts) != size + 1 or parts[0] != sort:
        raise InvalidCursor()
    return parts[1:]


def decode_cursor(cursor: str, sort: str, key_type: KeyType, id_type: IdType = "int") -> After:
    """The (key, id) a cursor carries; raises InvalidCursor on anything but our own cursor."""
    value, row_id = _decode(cursor, sort, 2)
    return _typed(value, key_type), _typed_id(row_id, id_type)


def _typed_id(row_id: Any, id_type: IdType) -> int | uuid.UUID:
    if id_type == "uuid":
        try:
            return uuid.UUID(row_id)
        except (ValueError, TypeError, AttributeError):
            raise InvalidCursor() from None
    # A PostgreSQL integer; an organization's cursor from before ids were integers (a uuid)
    # is refused too.
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id < 2**31:
        raise InvalidCursor()
    return row_id


def _typed(value: Any, key_type: KeyType) -> Any:
    match key_type:
        case "int" if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) < 2**63:
                return value
        case "str" if isinstance(value, str) and len(value) <= 500 and is_storable(value):
            return value
        case "datetime" | "none" if value is None:
            return None
        case "datetime" if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidCursor() from None
            if parsed.tzinfo is not None:
                return parsed
        case _:
            pass
    raise InvalidCursor()


@dataclass(frozen=True, slots=True)
class Keyset:
    """How a list is ordered: the cursor's tag, the row attribute holding the sort value (None
    when the id alone orders the list) and its type, and the row attribute of the unique id
    that breaks ties."""

    sort: str
    key: str | None
    key_type: KeyType
    id: str = "id"
    id_type: IdType = "int"
    # Further sort values that break ties, the last unique: the cursor then carries every
    # sort value and no id.
    then: tuple[tuple[str, KeyType], ...] = ()

    def after(self, cursor: str | None) -> After | None:
        """Where the page starts: None for the first page; raises InvalidCursor."""
        if not cursor:
            return None
        if not self.then:
            return decode_cursor(cursor, self.sort, self.key_type, self.id_type)
        types = [self.key_type, *(key_type for _, key_type in self.then)]
        values = _decode(cursor, self.sort, len(types))
        return tuple(_typed(value, key_type) for value, key_type in zip(values, types, strict=True))

    def cursor(self, row: Any) -> str:
        if self.then:
            names = [self.key, *(name for name, _ in self.then)]
            return _encode([self.sort, *(getattr(row, name) for name in names if name)])
        key = getattr(row, self.key) if self.key is not None else None
        return encode_cursor(self.sort, key, getattr(row, self.id))


def paginate(rows: Sequence[R], limit: int, keyset: Keyset) -> tuple[list[R], str | None]:
    """The page out of `rows` read with `limit + 1`: its first `limit` rows, and the cursor of
    the next page (None when the extra row is absent, so this is the last page)."""
    if len(rows) <= limit:
        return list(rows), None
    page = list(rows[:limit])
    return page, keyset.cursor(page[-1])


def cache_params(query: BaseModel, limit: int) -> dict[str, Any]:
    """The query as a cache key sees it: defaults resolved, repeatable values ordered."""
    params = query.model_dump(mode="json", exclude={"format"})
    params["limit"] = limit
    if params.get("kind"):
        params["kind"] = sorted(set(params["kind"]))
    if params.get("language"):
        params["language"] = params["language"].lower()
    return params


@dataclass(frozen=True, slots=True)
class Cached:
    """Where a list's JSON pages are cached: the entry kind, the scope whose generation
    invalidates them, their lifetime and parameters besides the query's."""

    cache: UsageCache
    kind: str
    scope: str
    ttl: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def key_params(self, query: ListQuery, limit: int) -> dict[str, Any]:
        return {**cache_params(query, limit), **self.params}

    def entry(self) -> CacheEntry:
        """Where the answer of a single item (no query) is cached."""
        return self.cache.entry(self.kind, self.scope, self.params)

    async def build_entry(self, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The current cached answer of a single item, else `build()` cached."""
        return await self.cache.get_or_build(self.kind, self.scope, self.params, self.ttl, build)

    def page(self, query: ListQuery, settings: Settings) -> CacheEntry | None:
        """Where the JSON page of `query` is cached, or None when it is never cached (a limit
        above the maximum)."""
        try:
            limit = page_limit(settings, query.limit)
        except PageLimitExceeded:
            return None
        return self.cache.entry(self.kind, self.scope, self.key_params(query, limit))


@dataclass(frozen=True, slots=True)
class Listing(Generic[Q, T]):
    """One list request before its form is chosen: a JSON page (`json`, `page`) or every row
    (`rows`, for CSV); routers answer it with `list_response`."""

    query: Q
    # One page: the query (its cursor says where to start) and how many rows to read.
    fetch: Callable[[Q, int], Awaitable[Page[T]]]
    item: type[T]
    filename: str
    settings: Settings
    cached: Cached | None = None

    async def page(self) -> Page[T]:
        """The page the query asks for; raises PageLimitExceeded, InvalidCursor, not-found."""
        return await self.fetch(self.query, page_limit(self.settings, self.query.limit))

    async def json(self) -> bytes:
        """The page as JSON, from Valkey when the list is cached and a current answer is there."""
        limit = page_limit(self.settings, self.query.limit)

        async def build() -> bytes:
            return (await self.fetch(self.query, limit)).model_dump_json().encode()

        if self.cached is None:
            return await build()
        cached = self.cached
        params = cached.key_params(self.query, limit)
        return await cached.cache.get_or_build(cached.kind, cached.scope, params, cached.ttl, build)

    async def check(self) -> None:
        """Fail as `rows()` fails before a response starts (a missing subject, a bad filter),
        reading one row."""
        await self.fetch(self.query.model_copy(update={"cursor": None}), 1)

    async def rows(self) -> AsyncIterator[T]:
        """Every row from the query's filters on, up to CSV_MAX_ROWS (the cursor and limit are
        ignored). The first page is read before this returns, so a missing subject fails
        before a response starts."""
        return await export_pages(self.fetch, self.query, self.settings.csv_max_rows)


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
