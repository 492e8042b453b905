"""The page every list endpoint returns, with an opaque keyset cursor."""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


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
