"""axe-core in a real Chromium on every page, light and dark, desktop and 360 px wide."""

from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
from playwright.async_api import Browser, ViewportSize

from tests.e2e.web.web_server import AXE, Server, screenshot

pytestmark = pytest.mark.e2e

PAGES = {
    "home": "/",
    "search": "/search?q=pkg-1",
    "package": "/packages/npm/pkg-0",
    "package-filtered": "/packages/npm/pkg-0?language=TypeScript&sort=stars&include_forks=true",
    "package-unknown-sort": "/packages/npm/pkg-0?sort=forks",
    "organization": "/organizations/org-0",
    "uses": "/organizations/org-86/uses/npm/pkg-0",
    "jobs": "/jobs",
    "not-found": "/packages/npm/no-such-package",
    "invalid": "/packages/npm/pkg-0?min_stars=lots",
}
Scheme = Literal["light", "dark"]
LAYOUTS: dict[str, tuple[ViewportSize, Scheme]] = {
    "desktop-light": ({"width": 1280, "height": 900}, "light"),
    "phone-dark": ({"width": 360, "height": 780}, "dark"),
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    # A missing copy fails the run instead of skipping the checks.
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(params=list(LAYOUTS))
async def layout(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Any]:
    viewport, scheme = LAYOUTS[request.param]
    context = await browser.new_context(viewport=viewport, color_scheme=scheme)
    yield request.param, context
    await context.close()


@pytest.mark.parametrize("name", list(PAGES))
async def test_page_has_no_serious_accessibility_violations(
    server: Server, layout: Any, axe_source: str, name: str
) -> None:
    layout_name, context = layout
    page = await context.new_page()
    await page.goto(server.url + PAGES[name])
    await page.add_script_tag(content=axe_source)
    results = await page.evaluate(
        """async () => {
            const r = await axe.run(document);
            return {passes: r.passes.length, violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))};
        }"""
    )
    await screenshot(page, f"{name}-{layout_name}")
    # The page must also fit: no horizontal scroll outside the scrollable table regions.
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )

    # axe ran its rules (color contrast, labels, landmarks, ...) on the page.
    assert results["passes"] > 10
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert overflow <= 0
