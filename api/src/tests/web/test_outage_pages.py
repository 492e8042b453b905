"""During a database outage the pages answer an HTML 503 page; the API keeps problem+json."""

import pytest

from app.core.config import Settings
from tests.clients import app_client
from tests.conftest import free_port

pytestmark = pytest.mark.usefixtures("cache")

PAGES = ["/", "/search?q=left", "/packages/npm/left-pad", "/organizations/acme"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_answer_an_html_503_page_while_the_database_is_down(
    settings: Settings, path: str
) -> None:
    # Nothing listens on that port: every connection is refused, as while PostgreSQL is down.
    down = settings.model_copy(
        update={
            "database_url": f"postgresql+asyncpg://wump@127.0.0.1:{free_port()}/wump",
            "health_check_timeout": 1.0,
            "rate_limit_anonymous": 1_000_000,
        }
    )
    async with app_client(down) as (_, client):
        page = await client.get(path, headers={"Accept": "text/html"})
        api = await client.get("/api/v1/packages?q=left", headers={"Accept": "text/html"})

    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "5"
    assert "<html" in page.text
    assert "The database is not answering" in page.text
    assert api.status_code == 503
    assert api.headers["content-type"] == "application/problem+json"
    assert api.headers["retry-after"] == "5"
    assert api.json()["code"] == "database_unavailable"
