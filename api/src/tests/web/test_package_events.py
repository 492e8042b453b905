"""The package page lists recent usage changes (first imports left out) and links their feed."""

from datetime import datetime

from httpx import AsyncClient

from tests.api.v1.test_events import changes
from tests.web.html import text

__all__ = ["changes"]


async def test_package_page_lists_recent_changes_and_links_the_atom_feed(
    web: AsyncClient, changes: datetime
) -> None:
    response = await web.get("/packages/npm/left-pad")

    assert response.status_code == 200
    body = text(response.text)
    assert "beta started using it (0 → 1 repositories: beta/site)" in body
    assert "acme stopped using it (1 → 0 repositories: acme/web)" in body
    # carol's event came with its first import: news only.
    assert "carol started" not in body
    assert 'href="/api/v1/packages/npm/left-pad/events.atom"' in response.text


async def test_a_package_without_changes_says_so(web: AsyncClient, changes: datetime) -> None:
    response = await web.get("/packages/pypi/django")

    assert "No organization has started or stopped using it" in text(response.text)
