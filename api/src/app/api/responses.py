"""Response helpers shared by the v1 routers: JSON with an ETag (304 on a match), CSV, and
`list_response`, which answers any list in either form."""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.api.head import is_head
from app.schemas.common import problem_response
from app.services.paging import Listing
from app.services.usage_cache import CachedAnswer, entity_tag

CSV_MEDIA_TYPE = "text/csv"
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def etag_for(body: bytes) -> str:
    return entity_tag(body)


def if_none_match_matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weakly compared, as for a GET) or is `*`."""
    candidates = [part.strip() for part in if_none_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)


def json_response(request: Request, body: bytes) -> Response:
    """`body` as JSON with a strong ETag; 304 without a body when If-None-Match matches it."""
    return cached_response(request, CachedAnswer(body, entity_tag(body)))


def cached_response(request: Request, answer: CachedAnswer) -> Response:
    """A cached answer as `json_response` answers it, with the ETag stored beside it."""
    body, etag = answer.body, answer.etag
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and if_none_match_matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


def model_response(request: Request, model: BaseModel) -> Response:
    return json_response(request, model.model_dump_json().encode())


async def list_response(request: Request, listing: Listing[Any, Any]) -> Response:
    """Every row as streamed CSV when asked for (`format=csv`, or `Accept: text/csv` without a
    `format`); otherwise the page as JSON with an ETag, or 304 when If-None-Match matches."""
    if wants_csv(request, listing.query.format):
        if is_head(request.scope):
            # The GET's status and headers without reading every row: a streamed export has no
            # Content-Length to match.
            await listing.check()
            return csv_response(_no_items(), listing.item, listing.filename)
        return csv_response(await listing.rows(), listing.item, listing.filename)
    return json_response(request, await listing.json())


async def _no_items() -> AsyncIterator[BaseModel]:
    """No rows: the CSV of a HEAD is its header line, and HeadMiddleware drops even that."""
    return
    yield


def wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    return CSV_MEDIA_TYPE in request.headers.get("accept", "")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_list_entry(v) for v in value)
    text = str(value)
    if not isinstance(value, int | float) and text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def _list_entry(value: Any) -> str:
    """One entry of a list cell: an object by its first field, a count beside a name (`via`)."""
    if not isinstance(value, dict):
        return csv_cell(value)
    if value.keys() == {"name", "repository_count"}:
        return f"{csv_cell(value['name'])} ({value['repository_count']})"
    return csv_cell(next(iter(value.values()), None))


def csv_columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The model's fields as CSV columns; a nested object's fields become `object.field`."""
    columns: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            columns += csv_columns(annotation, f"{prefix}{name}.")
        else:
            columns.append(prefix + name)
    return columns


def _value(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


async def _csv_lines(items: AsyncIterator[BaseModel], columns: list[str]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    async for item in items:
        row = item.model_dump(mode="json")
        writer.writerow([csv_cell(_value(row, column)) for column in columns])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    items: AsyncIterator[BaseModel], model: type[BaseModel], filename: str
) -> StreamingResponse:
    """Every item as one CSV row, streamed; list cells are joined with '; ' and nested objects
    spread over `object.field` columns."""
    return StreamingResponse(
        _csv_lines(items, csv_columns(model)),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def list_responses(*problems: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of a list endpoint: its CSV form, 304 and the given problems."""
    descriptions = {
        400: "The cursor is malformed or belongs to another sort",
        404: "Not found",
        409: "The name exists in several ecosystems",
        422: "Invalid parameters (unknown ecosystem, limit above the maximum, bad dates)",
    }
    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "content": {
                CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": "login,name,repository_count\r\nacme,Acme Corp,12\r\n",
                }
            }
        },
        304: {"description": "Not modified: the ETag in If-None-Match still matches"},
    }
    for status in problems:
        responses[status] = problem_response(descriptions[status])
    return responses


def item_responses(*problems: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        304: {"description": "Not modified: the ETag in If-None-Match still matches"}
    }
    descriptions = {
        404: "Not found",
        409: "The name exists in several ecosystems",
        422: "Invalid parameters (unknown ecosystem, invalid package URL, name too long)",
    }
    for status in problems:
        responses[status] = problem_response(descriptions[status])
    return responses
