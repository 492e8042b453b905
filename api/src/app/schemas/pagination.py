"""The page every list endpoint returns, with an opaque keyset cursor, and the paging
parameters every list query shares."""

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

ExportFormat = Literal["json", "csv"]


class ListQuery(BaseModel):
    """Page size, where to start and the answer's form; a list's query adds its filters."""

    limit: int | None = Field(default=None, ge=1, description="Page size, at most PAGE_MAX_LIMIT.")
    cursor: str | None = Field(
        default=None, max_length=2000, description="`next_cursor` of the previous page."
    )
    format: ExportFormat | None = Field(
        default=None, description="`csv` streams every page as CSV (also `Accept: text/csv`)."
    )


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=["eyJzIjoicmVwb3NpdG9yaWVzIiwiayI6WzEyXX0"],
    )
    total: int | None = Field(
        default=None,
        description="Exact number of items across all pages, given only when it is exact and "
        "cheap: paging through yields exactly this many items.",
        examples=[1342],
    )
