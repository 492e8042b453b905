"""Readiness and sponsorship in the users list: hand-computed scores, filters, sort and CSV.

Users of npm `left-pad` (pushes relative to now):

| org       | signals                                     | repos | push   | score              |
| sponsorco | sponsors 12 (5 as sponsor), verified, website | 10 JS | 3 days | 40+20+15+10+5 = 90 |
| linky     | user, 2 sponsorships as sponsor, Twitter    | 1 JS  | today  | 40+15+5 = 60       |
| fundme    | Sponsors listing, sponsors nobody           | 3 JS  | 100 d  | 10+10+8 = 28       |
| quiet     | never asked; a link ecosyste.ms reported    | 1 Go  | 400 d  | 10                 |
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, Repository
from app.services.usage_refresh import UsageRefreshService
from tests.conftest import FIXED_IDS
from tests.paths import manifest_path_id

USERS = "/api/v1/packages/npm/left-pad/users"
NOW = datetime.now(UTC)
LINK = {
    "url": "https://polar.sh/quiet",
    "platform": "polar",
    "source": "ecosystems",
    "evidence": "https://github.com/quiet/r0",
    "observed_at": "2026-11-01T00:00:00+00:00",
}
# login, owner type, signals, repositories, language, days since the push
OWNERS: list[tuple[str, str, dict[str, Any], int, str, int]] = [
    (
        "sponsorco",
        "organization",
        {
            "sponsoring_count": 12,
            "sponsorships_as_sponsor": 5,
            "has_sponsors_listing": False,
            "is_verified": True,
            "website_url": "https://sponsorco.example",
            "sponsorship_checked_at": NOW,
        },
        10,
        "JavaScript",
        3,
    ),
    (
        "linky",
        "user",
        {
            "sponsoring_count": 0,
            "sponsorships_as_sponsor": 2,
            "has_sponsors_listing": False,
            "twitter_username": "linky",
        },
        1,
        "JavaScript",
        0,
    ),
    (
        "fundme",
        "organization",
        {"sponsoring_count": 0, "sponsorships_as_sponsor": 0, "has_sponsors_listing": True},
        3,
        "JavaScript",
        100,
    ),
    ("quiet", "organization", {"funding_links": [LINK]}, 1, "Go", 400),
]


@pytest.fixture
async def outreach(session: AsyncSession) -> None:
    package = Package(ecosystem="npm", name="left-pad")
    session.add(package)
    for n, (login, owner_type, signals, count, language, days) in enumerate(OWNERS, 1):
        owner = Organization(id=FIXED_IDS + 500 + n, login=login, owner_type=owner_type, **signals)
        session.add(owner)
        await session.flush()
        for r in range(count):
            repository = Repository(
                organization_id=owner.id,
                name=f"r{r}",
                full_name=f"{login}/r{r}",
                github_url=f"https://github.com/{login}/r{r}",
                stars=r,
                primary_language=language,
                pushed_at=NOW - timedelta(days=days, hours=1),
            )
            session.add(repository)
            await session.flush()
            session.add(
                Dependency(
                    repository_id=repository.id,
                    package_id=package.id,
                    manifest_path_id=await manifest_path_id(session, "package.json"),
                    dependency_type="runtime",
                )
            )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([package.id])
    await session.flush()


async def page(api: AsyncClient, **params: Any) -> dict[str, Any]:
    response = await api.get(USERS, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def walk(api: AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every item, one per page, checking each page's total against the whole list."""
    items: list[dict[str, Any]] = []
    totals: set[int] = set()
    cursor: str | None = None
    while True:
        body = await page(api, limit=1, **params, **({"cursor": cursor} if cursor else {}))
        items += body["items"]
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert totals == {len(items)}
    return items


@pytest.mark.usefixtures("outreach")
async def test_scores_and_reasons_are_the_hand_computed_ones(api: AsyncClient) -> None:
    body = await page(api, limit=10)

    by_login = {item["login"]: item["readiness"] for item in body["items"]}
    assert {login: r["score"] for login, r in by_login.items()} == {
        "sponsorco": 90,
        "linky": 60,
        "fundme": 28,
        "quiet": 10,
    }
    assert [(r["text"], r["points"]) for r in by_login["sponsorco"]["reasons"]] == [
        ("already sponsors 12 on GitHub Sponsors", 40),
        ("10 repositories use it", 20),
        ("pushed 3 days ago", 15),
        ("verified organization", 10),
        ("reachable by website", 5),
    ]
    assert [r["rule"] for r in by_login["linky"]["reasons"]] == [
        "sponsors_others",
        "pushed_recently",
        "reachable",
    ]
    assert by_login["linky"]["reasons"][1]["text"] == "pushed today"
    assert [(r["text"], r["points"]) for r in by_login["fundme"]["reasons"]] == [
        ("has a GitHub Sponsors listing", 10),
        ("3 repositories use it", 10),
        ("pushed 100 days ago", 8),
    ]
    assert [r["text"] for r in by_login["quiet"]["reasons"]] == ["publishes funding links"]


@pytest.mark.usefixtures("outreach")
async def test_the_sponsorship_object_shows_signals_links_and_contact(api: AsyncClient) -> None:
    body = await page(api, limit=10)

    by_login = {item["login"]: item["sponsorship"] for item in body["items"]}
    assert by_login["sponsorco"] | {"checked_at": None} == {
        "sponsors_others": 12,
        "can_be_sponsored": False,
        "has_sponsors_listing": False,
        "sponsorship_url": None,
        "is_verified": True,
        "member_count": None,
        "funding_links": [],
        "contact": {
            "website_url": "https://sponsorco.example",
            "email": None,
            "twitter_username": None,
        },
        "checked_at": None,
        "funding_error": None,
    }
    assert by_login["sponsorco"]["checked_at"] is not None
    assert by_login["linky"]["sponsors_others"] == 2
    # Never asked: unknown, not "no"; a reported funding link still says it takes money.
    quiet = by_login["quiet"]
    assert (quiet["sponsors_others"], quiet["has_sponsors_listing"]) == (None, None)
    assert quiet["can_be_sponsored"] is True
    assert quiet["funding_links"] == [LINK | {"observed_at": "2026-11-01T00:00:00Z"}]


@pytest.mark.usefixtures("outreach")
@pytest.mark.parametrize("filters", [{}, {"language": "JavaScript"}])
async def test_sort_by_readiness_pages_by_keyset(api: AsyncClient, filters: dict[str, str]) -> None:
    items = await walk(api, sort="readiness", **filters)

    expected = ["sponsorco", "linky", "fundme"] + ([] if filters else ["quiet"])
    assert [item["login"] for item in items] == expected
    assert [item["readiness"]["score"] for item in items] == [90, 60, 28, 10][: len(expected)]


@pytest.mark.usefixtures("outreach")
@pytest.mark.parametrize("filters", [{}, {"language": "JavaScript"}])
async def test_sponsors_others_keeps_the_organizations_that_already_sponsor(
    api: AsyncClient, filters: dict[str, str]
) -> None:
    sponsors = await walk(api, sponsors_others="true", **filters)
    others = await walk(api, sponsors_others="false", **filters)

    assert [item["login"] for item in sponsors] == ["sponsorco", "linky"]
    assert [item["login"] for item in others] == ["fundme"] + ([] if filters else ["quiet"])


@pytest.mark.usefixtures("outreach")
@pytest.mark.parametrize("filters", [{}, {"language": "JavaScript"}, {"owner_type": "user"}])
async def test_min_readiness_keeps_the_ready_ones_with_an_exact_total(
    api: AsyncClient, filters: dict[str, str]
) -> None:
    items = await walk(api, min_readiness=28, sort="stars", **filters)

    expected = {"sponsorco", "linky", "fundme"}
    if "owner_type" in filters:
        expected = {"linky"}
    assert {item["login"] for item in items} == expected
    assert await walk(api, min_readiness=91, **filters) == []


async def test_min_readiness_outside_0_to_100_is_a_422_problem(api: AsyncClient) -> None:
    response = await api.get(USERS, params={"min_readiness": 101})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.usefixtures("outreach")
async def test_csv_spreads_readiness_and_sponsorship_over_columns(api: AsyncClient) -> None:
    response = await api.get(USERS, params={"format": "csv", "sort": "readiness"})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0])[-14:] == [
        "readiness.score",
        "readiness.reasons",
        "sponsorship.sponsors_others",
        "sponsorship.can_be_sponsored",
        "sponsorship.has_sponsors_listing",
        "sponsorship.sponsorship_url",
        "sponsorship.is_verified",
        "sponsorship.member_count",
        "sponsorship.funding_links",
        "sponsorship.contact.website_url",
        "sponsorship.contact.email",
        "sponsorship.contact.twitter_username",
        "sponsorship.checked_at",
        "sponsorship.funding_error",
    ]
    first, last = rows[0], rows[-1]
    assert (first["login"], first["readiness.score"]) == ("sponsorco", "90")
    assert first["readiness.reasons"].startswith("already sponsors 12 on GitHub Sponsors; ")
    assert first["sponsorship.contact.website_url"] == "https://sponsorco.example"
    assert (last["login"], last["sponsorship.funding_links"]) == ("quiet", LINK["url"])
