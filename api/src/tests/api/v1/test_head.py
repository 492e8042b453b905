"""HEAD on any route that takes GET: the GET's status and headers, no body, and no HEAD
operation in the OpenAPI document."""

import pytest
from httpx import AsyncClient

from app.services import paging
from tests.api.v1.dataset import Dataset

USERS = "/api/v1/packages/pypi/django/users"


async def test_head_answers_the_get_headers_without_a_body(
    api: AsyncClient, dataset: Dataset
) -> None:
    for path in (USERS, "/api/v1/packages/pypi/django", "/health/live", "/"):
        got = await api.get(path)
        head = await api.head(path)

        assert got.status_code == head.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert int(head.headers["content-length"]) == len(got.content) > 0, path


async def test_head_of_a_cached_list_carries_its_etag_and_revalidates(
    api: AsyncClient, dataset: Dataset
) -> None:
    got = await api.get(USERS)
    head = await api.head(USERS)
    unchanged = await api.head(USERS, headers={"if-none-match": got.headers["etag"]})

    assert head.headers["etag"] == got.headers["etag"]
    assert unchanged.status_code == 304
    assert unchanged.content == b""


async def test_head_of_a_missing_package_is_the_get_problem_without_a_body(
    api: AsyncClient, dataset: Dataset
) -> None:
    got = await api.get("/api/v1/packages/pypi/no-such-package/users")
    head = await api.head("/api/v1/packages/pypi/no-such-package/users")

    assert got.status_code == head.status_code == 404
    assert head.headers["content-type"] == "application/problem+json"
    assert head.content == b""


async def test_head_is_refused_where_get_is(api: AsyncClient, dataset: Dataset) -> None:
    # A route that takes POST alone.
    head = await api.head("/api/v1/ingest/organizations/acme")

    assert head.status_code == 405
    assert "HEAD" not in head.headers["allow"]


async def test_a_405_of_a_route_that_takes_get_allows_head_too(api: AsyncClient) -> None:
    refused = await api.post("/api/v1/packages/pypi/django")

    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"


async def test_the_openapi_document_lists_no_head_operation(api: AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()

    assert not [path for path, operations in document["paths"].items() if "head" in operations]


async def test_head_of_a_csv_export_reads_one_row_instead_of_the_export(
    api: AsyncClient, dataset: Dataset, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One row per query: the export reads its users one query at a time.
    monkeypatch.setattr(paging, "EXPORT_BATCH", 1)
    got = await api.get(USERS, params={"format": "csv"})
    export = len(statements)
    head = await api.head(USERS, params={"format": "csv"})
    one = len(statements) - export
    missing = await api.head("/api/v1/packages/pypi/no-such-package/users?format=csv")

    users = len(got.text.splitlines()) - 1
    assert users >= 2
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    for header in ("content-type", "content-disposition"):
        assert head.headers[header] == got.headers[header]
    # The export's queries came once per user; HEAD's once in all.
    assert one > 0
    assert export >= users * one
    assert missing.status_code == 404
