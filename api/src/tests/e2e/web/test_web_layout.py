"""The tables' layout in a real Chromium: every column readable at 1280 px, one card per row at
360 px, and never a page that scrolls sideways."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from tests.e2e.web.web_server import Server, screenshot

pytestmark = pytest.mark.e2e

PAGES = {
    "package": "/packages/npm/pkg-0",
    "package-by-readiness": "/packages/npm/pkg-0?sort=readiness&include_forks=true",
    "organization": "/organizations/org-0",
    "uses": "/organizations/org-86/uses/npm/pkg-0",
}
WIDTHS = {"desktop": 1280, "phone": 360}
# The narrowest a desktop column may be, in CSS pixels: a short number with its heading.
NARROWEST = 56

# What the page looks like to the user: sideways overflow of the page and of each table's region,
# cells whose content is cut off, and how each data cell is laid out and labelled.
MEASURE = """() => {
  const root = document.documentElement;
  const visible = (e) => e.getBoundingClientRect().width > 1;
  const tables = Array.from(document.querySelectorAll(".table-wrap table"));
  const cells = tables.flatMap((t) => Array.from(t.querySelectorAll("td, th"))).filter(visible);
  return {
    overflow: root.scrollWidth - window.innerWidth,
    regions: Array.from(document.querySelectorAll(".table-wrap")).map(
      (w) => [w.scrollWidth, w.clientWidth]),
    cells: cells.length,
    clipped: cells.filter((c) => c.scrollWidth > c.clientWidth).map(
      (c) => [c.dataset.label || c.textContent.trim(), c.scrollWidth, c.clientWidth]),
    narrowest: Math.min(...tables.flatMap((t) => Array.from(t.tHead.rows[0].cells)).filter(
      visible).map((th) => th.getBoundingClientRect().width)),
    rows: tables.flatMap((t) => Array.from(t.tBodies[0].rows).map((row) => ({
      display: getComputedStyle(row).display,
      headings: Array.from(t.tHead.rows[0].cells).map((th) => th.textContent.trim()),
      labels: Array.from(row.cells).map((td) => getComputedStyle(td, "::before").content),
    }))),
  };
}"""

# The longest a GitHub login (39) and repository name (100) can be, and a long website.
LONG_NAMES = """() => {
  const row = document.querySelector("#users tr");
  const login = "a-login-as-long-as-github-allows-abcdef";
  const repository = "a-repository-name-of-the-longest-length".padEnd(100, "-and-more");
  row.querySelector("td:first-child > a").textContent = login;
  row.querySelector("td:first-child .sub a").textContent =
    "www.an-organization-with-a-very-long-domain-name.example/about/our-open-source-work";
  row.querySelector("td[data-label='Top repositories'] a").textContent = `${login}/${repository}`;
}"""


@pytest.fixture
def elsewhere() -> list[str]:
    """Requests the page made to any other host: none, so the pages work offline."""
    return []


@pytest.fixture(params=list(WIDTHS))
async def page(
    request: pytest.FixtureRequest, browser: Browser, server: Server, elsewhere: list[str]
) -> AsyncIterator[Page]:
    width = WIDTHS[request.param]
    context = await browser.new_context(viewport={"width": width, "height": 900})

    async def refuse(route: Route) -> None:
        elsewhere.append(route.request.url)
        await route.abort()

    await context.route(lambda url: not url.startswith(server.url), refuse)
    yield await context.new_page()
    await context.close()


def assert_fits(measured: dict[str, Any], width: int) -> None:
    assert measured["cells"] > 0
    assert measured["overflow"] <= 0, f"the page scrolls sideways by {measured['overflow']} px"
    assert measured["clipped"] == []
    # Every column is on screen: no table region needs scrolling either.
    assert all(scroll <= client for scroll, client in measured["regions"]), measured["regions"]
    for row in measured["rows"]:
        if width <= WIDTHS["phone"]:
            # A card: the first cell is its title, every other value is labelled by its heading.
            assert row["display"] == "block"
            assert row["labels"][0] == "none"
            assert row["labels"][1:] == [f'"{heading}"' for heading in row["headings"][1:]]
        else:
            assert row["display"] == "table-row"
    if width > WIDTHS["phone"]:
        # Readable, not squeezed to a few letters a line to make room for the others.
        assert measured["narrowest"] >= NARROWEST, measured["narrowest"]


@pytest.mark.parametrize("name", list(PAGES))
async def test_tables_fit_the_screen_without_clipping(
    page: Page, server: Server, elsewhere: list[str], name: str
) -> None:
    await page.goto(server.url + PAGES[name], wait_until="load")
    width = page.viewport_size["width"] if page.viewport_size else 0

    measured = await page.evaluate(MEASURE)
    await screenshot(page, f"layout-{name}-{width}")

    assert_fits(measured, width)
    assert elsewhere == []


async def test_the_longest_names_wrap_inside_their_cells(page: Page, server: Server) -> None:
    await page.goto(server.url + PAGES["package"])
    width = page.viewport_size["width"] if page.viewport_size else 0

    await page.evaluate(LONG_NAMES)
    measured = await page.evaluate(MEASURE)
    first = page.locator("#users tr").first
    await screenshot(first, f"layout-long-names-{width}")

    assert_fits(measured, width)


async def test_sort_headings_stay_visible_links_above_the_cards(page: Page, server: Server) -> None:
    await page.goto(server.url + PAGES["package"])

    sorts = page.locator("#users-title ~ .table-wrap thead a")
    assert await sorts.count() == 5
    for index in range(5):
        assert await sorts.nth(index).is_visible()
    await sorts.filter(has_text="Stars").click()
    await page.wait_for_url("**sort=stars")


# Each repository named in the Top repositories cells: its text, full name, and how many lines
# its name takes on screen.
SAMPLES = """() => Array.from(
  document.querySelectorAll("#users td[data-label='Top repositories'] .sample a")
).map((a) => [a.textContent, a.title, a.getClientRects().length])"""


async def test_top_repositories_show_each_name_whole_on_one_line(
    page: Page, server: Server
) -> None:
    await page.goto(server.url + PAGES["package"])

    samples = await page.evaluate(SAMPLES)

    assert samples
    for text, full_name, lines in samples:
        # The row names the organization; the cell names its repository, the full name on hover.
        owner, _, name = full_name.partition("/")
        assert owner, full_name
        assert text == name, (text, full_name)
        assert lines == 1, f"{full_name} wraps over {lines} lines"
