"""Package discovery through ecosyste.ms, and owner enrichment through GitHub."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.ecosystems import Ecosystem
from app.core.errors import OrganizationNotFound
from app.models import PackageDependent
from app.models.package_usage import OWNER_IS_USER, has_flag
from tests.services.ingestion.conftest import (
    UpstreamFactory,
    dependency_rows,
    organization,
    package_json,
    repositories,
    scenario,
)

OWNERS: list[dict[str, Any]] = [
    {
        "login": "octo-org",
        "name": "Octo Org",
        "has_sponsors_listing": True,
        "sponsoring": 3,
        "repositories": [
            {
                "name": "web",
                "stars": 120,
                "language": "TypeScript",
                "files": {"package.json": package_json(**{"left-pad": "^1.3.0", "vue": "^3"})},
            },
            {"name": "docs", "stars": 5, "language": "JavaScript"},
        ],
    },
    {
        "login": "beta",
        "kind": "User",
        "funding_yml": "patreon: beta\n",
        "repositories": [{"name": "site", "stars": 9, "archived": True}],
    },
]


def left_pad(*dependents: dict[str, Any]) -> dict[str, Any]:
    return scenario(
        *OWNERS, packages=[{"ecosystem": "npm", "name": "left-pad", "dependents": list(dependents)}]
    )


WEB = {"repository": "octo-org/web", "filepath": "package.json", "requirements": "^1.3.0"}
DOCS = {"repository": "octo-org/docs", "filepath": "site/package.json", "kind": "development"}
SITE = {"repository": "beta/site", "filepath": "package.json", "direct": False}


async def test_discovery_stores_dependents_and_lists_their_owners(
    upstream: UpstreamFactory, session: AsyncSession, client: AsyncClient
) -> None:
    fake = upstream(left_pad(WEB, DOCS, SITE))

    report = await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    assert (report.repositories, report.records_processed) == (3, 3)
    assert report.owners == ["octo-org", "beta"]
    assert await dependency_rows(session) == [
        ("beta/site", "npm", "left-pad", "package.json", "*", "runtime", False, "ecosystems"),
        (
            "octo-org/docs",
            "npm",
            "left-pad",
            "site/package.json",
            "*",
            "development",
            True,
            "ecosystems",
        ),
        (
            "octo-org/web",
            "npm",
            "left-pad",
            "package.json",
            "^1.3.0",
            "runtime",
            True,
            "ecosystems",
        ),
    ]
    repos = await repositories(session)
    assert (repos["octo-org/web"].stars, repos["octo-org/web"].primary_language) == (
        120,
        "TypeScript",
    )
    assert repos["beta/site"].is_archived is True
    assert repos["beta/site"].scanned_at is None
    assert (await organization(session, "octo-org")).total_repositories == 2
    body = (await client.get("/api/v1/packages/npm/left-pad/users")).json()
    # beta's only repository is archived: not a user under the default filters.
    assert [(u["login"], u["repository_count"]) for u in body["items"]] == [("octo-org", 2)]


async def test_rediscovery_replaces_only_the_package_rows_it_listed(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(left_pad(WEB, DOCS))
    await fake.service.ingest_organization("octo-org")
    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")
    moved = {**DOCS, "filepath": "docs/package.json"}
    fake.serve(left_pad(WEB, moved))

    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    rows = await dependency_rows(session)
    assert [(r[0], r[2], r[3], r[7]) for r in rows] == [
        ("octo-org/docs", "left-pad", "docs/package.json", "ecosystems"),
        # The crawl's own reading of the manifest outranks the listing; vue is not touched.
        ("octo-org/web", "left-pad", "package.json", "github"),
        ("octo-org/web", "vue", "package.json", "github"),
    ]


async def test_unknown_package_discovers_nothing(upstream: UpstreamFactory) -> None:
    report = await upstream(left_pad(WEB)).service.discover_package_users(Ecosystem.NPM, "nope")

    assert (report.repositories, report.records_processed, report.owners) == (0, 0, [])


async def test_enrichment_sets_profile_and_sponsorship_signals(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(left_pad(WEB, SITE))
    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")
    assert (await organization(session, "beta")).owner_type == "organization"

    await fake.service.enrich_organization("octo-org")
    await fake.service.enrich_organization("beta")

    octo = await organization(session, "octo-org")
    assert (octo.name, octo.has_sponsors_listing, octo.sponsoring_count) == ("Octo Org", True, 3)
    assert octo.sponsorship_url == "https://github.com/sponsors/octo-org"
    assert octo.enriched_at is not None
    beta = await organization(session, "beta")
    assert (beta.owner_type, beta.has_sponsors_listing) == ("user", False)
    assert beta.sponsorship_url == "https://www.patreon.com/beta"
    # The read side copies the owner type, so it follows the profile.
    owner_types = await session.execute(
        select(has_flag(PackageDependent.flags, OWNER_IS_USER)).where(
            PackageDependent.organization_id == beta.id
        )
    )
    assert owner_types.scalars().all() == [True]


async def test_enriching_an_unknown_login_is_not_found(upstream: UpstreamFactory) -> None:
    with pytest.raises(OrganizationNotFound):
        await upstream(left_pad()).service.enrich_organization("ghost")
