"""Usage event feeds: JSON keyset pages with filters, and the same as valid Atom."""

import csv
import io
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from httpx import AsyncClient
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization
from app.services.usage_refresh import UsageRefreshService
from tests.api.v1.dataset import Dataset
from tests.paths import manifest_path_id

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
async def changes(session: AsyncSession, dataset: Dataset) -> datetime:
    """acme (crawled) stops using left-pad; beta (crawled) and carol (never crawled) start;
    returns a time before them."""
    before = datetime.now(UTC)
    await session.execute(
        update(Organization)
        .where(Organization.login.in_(["acme", "beta"]))
        .values(crawled_at=before)
    )
    left_pad = dataset.packages[("npm", "left-pad")]
    web, site, blog = (dataset.repositories[n] for n in ("acme/web", "beta/site", "carol/blog"))
    await session.execute(
        delete(Dependency).where(
            Dependency.repository_id == web.id, Dependency.package_id == left_pad.id
        )
    )
    session.add(
        Dependency(
            repository_id=site.id,
            package_id=left_pad.id,
            manifest_path_id=await manifest_path_id(session, "web/package.json"),
            dependency_type="runtime",
            commit_sha="a" * 40,
        )
    )
    await session.flush()
    usage = UsageRefreshService(session)
    await usage.refresh_repositories([web.id, site.id])
    session.add(
        Dependency(
            repository_id=blog.id,
            package_id=left_pad.id,
            manifest_path_id=await manifest_path_id(session, "package.json"),
            dependency_type="development",
        )
    )
    await session.flush()
    await usage.refresh_repositories([blog.id])
    return before


def summary(page: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(e["type"], e["organization"], e["initial"]) for e in page["items"]]


async def test_package_events_are_newest_first_with_their_evidence(
    api: AsyncClient, changes: datetime
) -> None:
    response = await api.get("/api/v1/packages/npm/left-pad/events")

    assert response.status_code == 200
    page = response.json()
    assert summary(page) == [
        ("started", "carol", True),
        ("started", "beta", False),
        ("stopped", "acme", False),
    ]
    started = page["items"][1]
    assert (started["ecosystem"], started["package"], started["purl"]) == (
        "npm",
        "left-pad",
        "pkg:npm/left-pad",
    )
    assert (started["repositories_before"], started["repositories_after"]) == (0, 1)
    assert (started["kinds_before"], started["kinds_after"]) == ([], ["runtime"])
    assert started["repositories"] == [
        {
            "full_name": "beta/site",
            "change": "added",
            "manifests": ["web/package.json"],
            "commit": "a" * 40,
        }
    ]
    stopped = page["items"][2]
    assert [(r["full_name"], r["change"], r["manifests"]) for r in stopped["repositories"]] == [
        ("acme/web", "removed", [])
    ]


async def test_package_events_filter_by_type_initial_and_since(
    api: AsyncClient, changes: datetime
) -> None:
    url = "/api/v1/packages/npm/left-pad/events"
    started = (await api.get(url, params={"type": "started"})).json()
    both = (await api.get(url, params=[("type", "started"), ("type", "stopped")])).json()
    later = (await api.get(url, params={"initial": "false"})).json()
    future = (await api.get(url, params={"since": "2999-01-01T00:00:00Z"})).json()
    recent = (await api.get(url, params={"since": changes.isoformat()})).json()

    assert summary(started) == [("started", "carol", True), ("started", "beta", False)]
    assert len(both["items"]) == 3
    assert summary(later) == [("started", "beta", False), ("stopped", "acme", False)]
    assert future["items"] == []
    assert len(recent["items"]) == 3


async def test_package_events_page_by_cursor_without_skipping_or_repeating(
    api: AsyncClient, changes: datetime
) -> None:
    url = "/api/v1/packages/npm/left-pad/events"
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = (await api.get(url, params=params)).json()
        seen.extend(e["organization"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["carol", "beta", "acme"]


async def test_event_feeds_refuse_unknown_subjects_and_bad_input(
    api: AsyncClient, changes: datetime
) -> None:
    missing = await api.get("/api/v1/packages/npm/no-such-package/events")
    nobody = await api.get("/api/v1/organizations/nobody/events.atom")
    cursor = await api.get("/api/v1/packages/npm/left-pad/events", params={"cursor": "x"})
    naive = await api.get(
        "/api/v1/packages/npm/left-pad/events", params={"since": "2026-01-01T00:00:00"}
    )
    kind = await api.get("/api/v1/packages/npm/left-pad/events", params={"type": "begun"})

    assert (missing.status_code, missing.json()["code"]) == (404, "package_not_found")
    assert (nobody.status_code, nobody.json()["code"]) == (404, "organization_not_found")
    assert (cursor.status_code, cursor.json()["code"]) == (400, "invalid_cursor")
    assert naive.status_code == kind.status_code == 422


async def test_organization_events_list_its_packages(api: AsyncClient, changes: datetime) -> None:
    page = (await api.get("/api/v1/organizations/acme/events")).json()

    assert [(e["type"], e["package"]) for e in page["items"]] == [("stopped", "left-pad")]


def parse_atom(body: bytes) -> ET.Element:
    feed = ET.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287: a feed has exactly one id, title and updated, and an author (here the feed's).
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{tag}")) == 1, tag
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in feed.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{tag}")) == 1, tag
        updated = entry.findtext(f"{ATOM}updated")
        assert updated is not None
        datetime.fromisoformat(updated)
    return feed


async def test_atom_feed_by_accept_header_or_suffix_is_valid_atom(
    api: AsyncClient, changes: datetime
) -> None:
    by_accept = await api.get(
        "/api/v1/packages/npm/left-pad/events", headers={"Accept": "application/atom+xml"}
    )
    by_suffix = await api.get("/api/v1/packages/npm/left-pad/events.atom")

    for response in (by_accept, by_suffix):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = parse_atom(response.content)
        entries = feed.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title") for e in entries] == [
            "carol started using npm/left-pad",
            "beta started using npm/left-pad",
            "acme stopped using npm/left-pad",
        ]
        assert entries[1].findtext(f"{ATOM}id", "").startswith("urn:uuid:")
        assert "beta/site: added (web/package.json at aaaaaaaaaaaa)" in entries[1].findtext(
            f"{ATOM}summary", ""
        )


async def test_atom_feed_pages_with_a_next_link_and_answers_304_to_its_etag(
    api: AsyncClient, changes: datetime
) -> None:
    response = await api.get("/api/v1/organizations/beta/events.atom", params={"limit": 1})
    feed = parse_atom(response.content)
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    # beta has one event: the only page says so by having no next link.
    assert set(links) == {"self"}
    again = await api.get(
        "/api/v1/organizations/beta/events.atom",
        params={"limit": 1},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304

    page = await api.get("/api/v1/packages/npm/left-pad/events.atom", params={"limit": 2})
    links = {
        link.get("rel"): link.get("href")
        for link in parse_atom(page.content).findall(f"{ATOM}link")
    }
    assert "cursor=" in (links["next"] or "")
    following = await api.get(links["next"] or "")
    assert [
        e.findtext(f"{ATOM}title") for e in parse_atom(following.content).findall(f"{ATOM}entry")
    ] == ["acme stopped using npm/left-pad"]


async def test_events_export_as_csv_with_one_row_each(api: AsyncClient, changes: datetime) -> None:
    response = await api.get("/api/v1/packages/npm/left-pad/events", params={"format": "csv"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["type"], r["organization"], r["repositories"]) for r in rows] == [
        ("started", "carol", "carol/blog"),
        ("started", "beta", "beta/site"),
        ("stopped", "acme", "acme/web"),
    ]
