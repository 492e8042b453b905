"""The pages in a real headless Chromium against `wump serve` on the small synthetic dataset."""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, Page, Route

from tests.e2e.local_http import local
from tests.e2e.web.web_server import Server, screenshot

pytestmark = pytest.mark.e2e

PACKAGE = "/packages/npm/pkg-0"
USERS_API = "/api/v1/packages/npm/pkg-0/users"


def api_logins(server: Server, params: dict[str, Any], *, every_page: bool = False) -> list[str]:
    """The logins the API answers for `params`: one page, or every page."""
    logins: list[str] = []
    query = dict(params)
    while True:
        response = local.get(server.url + USERS_API, params=query, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        logins += [item["login"] for item in body["items"]]
        if not every_page or body["next_cursor"] is None:
            return logins
        query["cursor"] = body["next_cursor"]


async def table_logins(page: Page) -> list[str]:
    return await page.locator("#users tr td:first-child > a").all_inner_texts()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = await context.new_page()
    yield page
    await context.close()


async def test_search_suggests_and_leads_to_the_package_page_with_the_api_rows(
    page: Page, server: Server
) -> None:
    await page.goto(server.url + "/")
    await page.locator("#q").press_sequentially("pkg-0", delay=40)
    await page.wait_for_function("document.querySelectorAll('#suggestions option').length > 0")
    suggested = await page.locator("#suggestions option").evaluate_all("os => os.map(o => o.value)")
    assert "pkg:npm/pkg-0" in suggested
    await screenshot(page, "home")

    await page.locator("#q").fill("pkg:npm/pkg-0")
    await page.locator("#q").press("Enter")
    await page.wait_for_url(f"**{PACKAGE}")

    assert await page.locator("h1").inner_text() == "Who uses pkg-0?"
    assert await table_logins(page) == api_logins(server, {})
    await screenshot(page, "package")


async def test_sort_and_filters_change_the_url_and_the_rows(page: Page, server: Server) -> None:
    await page.goto(server.url + PACKAGE)

    await page.get_by_role("link", name="Stars", exact=True).click()
    await page.wait_for_url("**sort=stars")
    assert await table_logins(page) == api_logins(server, {"sort": "stars"})
    assert await page.locator('th[aria-sort="descending"]').inner_text() == "Stars"

    await page.get_by_label("Language", exact=True).fill("TypeScript")
    await page.get_by_label("Min stars per repository").fill("10")
    await page.get_by_label("runtime", exact=True).check()
    await page.get_by_role("button", name="Apply filters").click()
    await page.wait_for_url("**language=TypeScript**")

    params = parse_qs(urlsplit(page.url).query)
    assert params == {
        "min_stars": ["10"],
        "language": ["TypeScript"],
        "kind": ["runtime"],
        "sort": ["stars"],
    }
    expected = api_logins(
        server, {"min_stars": 10, "language": "TypeScript", "kind": "runtime", "sort": "stars"}
    )
    assert expected
    assert await table_logins(page) == expected


async def test_more_appends_the_next_pages_without_duplicates(page: Page, server: Server) -> None:
    await page.goto(server.url + PACKAGE + "?limit=10&sort=recent")
    address = page.url
    more = page.get_by_role("link", name="More organizations")
    counts = [len(await table_logins(page))]
    while await more.count():
        await more.click()
        await page.wait_for_function(
            f"document.querySelectorAll('#users tr').length > {counts[-1]}"
        )
        counts.append(len(await table_logins(page)))

    logins = await table_logins(page)
    assert page.url == address
    assert len(counts) > 2
    assert len(logins) == len(set(logins))
    assert logins == api_logins(server, {"limit": 10, "sort": "recent"}, every_page=True)
    # Keyboard users land on the first appended row.
    assert await page.evaluate("document.activeElement.closest('tr') !== null")


async def test_csv_button_downloads_the_filtered_rows(page: Page, server: Server) -> None:
    filters = {"language": "JavaScript", "sort": "name"}
    await page.goto(server.url + PACKAGE + "?language=JavaScript&sort=name")

    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Download CSV").click()
    download = await waiting.value
    saved = await download.path()
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))

    assert [row["login"] for row in rows] == api_logins(server, filters, every_page=True)
    assert len(rows) > 0


async def test_organization_page_and_its_uses_of_the_package_open(
    page: Page, server: Server
) -> None:
    await page.goto(server.url + PACKAGE)
    first = page.locator("#users tr").first
    login = await first.locator("td:first-child > a").inner_text()

    await first.locator('a[aria-label*="repositories of"]').click()
    await page.wait_for_url(f"**/organizations/{login}/uses/npm/pkg-0")
    assert await page.locator("#uses tr").count() > 0
    await screenshot(page, "uses")

    await page.goto(server.url + f"/organizations/{login}")
    assert await page.get_by_role("heading", name="Sponsorship signals").count() == 1
    assert await page.locator("#packages tr").count() > 0
    assert await page.locator("#repositories tr").count() > 0
    await screenshot(page, "organization")


async def test_jobs_page_keeps_the_key_and_watches_an_ingest(page: Page, server: Server) -> None:
    await page.goto(server.url + "/jobs")
    await page.get_by_label("Organization login").fill("octo-org")
    await page.get_by_role("button", name="Crawl organization").click()
    await page.locator("#job .problem").wait_for()
    assert "Keep an API key first" in await page.locator("#job").inner_text()

    await page.get_by_role("textbox", name="API key").fill(server.api_key)
    await page.get_by_role("button", name="Keep for this tab").click()
    assert await page.evaluate("sessionStorage.getItem('wump.apiKey')") == server.api_key
    await page.get_by_role("button", name="Crawl organization").click()
    await page.locator("#job dl").wait_for()

    status = await page.locator("#job").inner_text()
    assert "ingest_organization octo-org" in status
    assert "pending" in status
    await page.locator("#jobs tr td", has_text="octo-org").first.wait_for()
    await screenshot(page, "jobs")


@pytest.mark.parametrize(("path", "rendered"), [("/docs", ".opblock"), ("/redoc", ".api-content")])
async def test_api_docs_render_without_leaving_the_server(
    page: Page, server: Server, path: str, rendered: str
) -> None:
    elsewhere: list[str] = []

    async def refuse(route: Route) -> None:
        elsewhere.append(route.request.url)
        await route.abort()

    await page.route(lambda url: not url.startswith(server.url), refuse)
    await page.goto(server.url + path)
    # Swagger UI and ReDoc are megabytes of script: give a loaded machine time to parse them.
    await page.locator(rendered).first.wait_for(timeout=90_000)

    assert elsewhere == []
    await screenshot(page, path.strip("/"))
