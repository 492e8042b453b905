"""CSV export: streamed, every page up to the row cap, quoted, formulas neutralized."""

import csv
import io
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.responses import csv_cell
from app.core.config import Settings
from tests.api.v1.dataset import Dataset
from tests.clients import app_client

USERS = "/api/v1/packages/pypi/django/users"


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_format_csv_exports_every_page(api: AsyncClient, dataset: Dataset) -> None:
    response = await api.get(USERS, params={"format": "csv", "limit": 1})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    exported = rows(response.text)
    assert [r["login"] for r in exported] == ["acme", "beta", "carol", "Echo"]
    acme = exported[0]
    assert acme["languages"] == "Python; Go"
    assert acme["sample_repositories"] == "acme/web; acme/api; acme/tools"
    assert acme["total_stars"] == "625"


async def test_accept_header_selects_csv(api: AsyncClient, dataset: Dataset) -> None:
    response = await api.get("/api/v1/organizations", headers={"Accept": "text/csv"})

    assert response.headers["content-type"].startswith("text/csv")
    assert [r["login"] for r in rows(response.text)] == ["acme", "beta", "carol", "delta", "Echo"]


async def test_csv_quotes_separators_and_neutralizes_formulas(
    api: AsyncClient, dataset: Dataset
) -> None:
    response = await api.get(USERS, params={"format": "csv", "sort": "name"})

    by_login = {r["login"]: r for r in rows(response.text)}
    assert by_login["beta"]["name"] == '\'=HYPERLINK("x")'
    assert by_login["Echo"]["name"] == "Echo, Inc."
    assert '"Echo, Inc."' in response.text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+31 6", "'+31 6"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        (-5, "-5"),
        ("plain", "plain"),
        (None, ""),
        (True, "true"),
    ],
)
def test_csv_cell_neutralizes_formula_prefixes_only_in_text(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


@pytest.fixture
async def capped_api(read_settings: Settings, session: AsyncSession) -> AsyncIterator[AsyncClient]:
    capped = read_settings.model_copy(update={"csv_max_rows": 2})
    async with app_client(capped, session) as (_, client):
        yield client


async def test_csv_export_stops_at_the_row_cap(capped_api: AsyncClient, dataset: Dataset) -> None:
    response = await capped_api.get(USERS, params={"format": "csv"})

    assert [r["login"] for r in rows(response.text)] == ["acme", "beta"]


async def test_every_list_exports_csv(api: AsyncClient, dataset: Dataset) -> None:
    paths = [
        "/api/v1/packages",
        f"{USERS}/acme/repositories",
        "/api/v1/organizations/acme/packages",
        "/api/v1/organizations/acme/repositories",
    ]
    for path in paths:
        response = await api.get(path, params={"format": "csv"})
        assert response.status_code == 200, path
        assert len(rows(response.text)) >= 3, path
