"""Funding signals: every ingest that touches an owner gathers them, each with its evidence."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.ecosystems import Ecosystem
from app.core.readiness import SPONSORS_OTHERS_BIT, score
from app.models import Organization, PackageUsage
from tests.services.ingestion.conftest import (
    UpstreamFactory,
    organization,
    package_json,
    repositories,
    scenario,
)

FUNDING = "github: [octo-org]\nopen_collective: octo\ncustom: https://octo.example/give\n"
SPONSOR: dict[str, Any] = {
    "login": "octo-org",
    "name": "Octo Org",
    "blog": "octo.example",
    "email": "hello@octo.example",
    "is_verified": True,
    "twitter_username": "octoorg",
    "members": 12,
    "has_sponsors_listing": True,
    "sponsoring": 3,
    "sponsorships_as_sponsor": 4,
    "sponsors": 2,
    "funding_yml": FUNDING,
    "repositories": [
        {"name": "web", "stars": 10, "files": {"package.json": package_json(vue="^3")}},
    ],
}


async def test_a_crawl_gathers_its_owners_signals_without_a_discovery(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(SPONSOR))

    report = await fake.service.ingest_organization("octo-org")

    assert report.failures == []
    octo = await organization(session, "octo-org")
    assert (octo.has_sponsors_listing, octo.sponsoring_count, octo.sponsorships_as_sponsor) == (
        True,
        3,
        4,
    )
    assert octo.sponsorship_url == "https://github.com/sponsors/octo-org"
    assert (octo.is_verified, octo.twitter_username, octo.member_count) == (True, "octoorg", 12)
    assert (octo.website_url, octo.email) == ("https://octo.example", "hello@octo.example")
    assert octo.sponsorship_checked_at is not None
    assert octo.enriched_at == octo.sponsorship_checked_at
    evidence = "https://github.com/octo-org/.github/blob/HEAD/.github/FUNDING.yml"
    assert [
        (link["platform"], link["url"], link["source"], link["evidence"])
        for link in octo.funding_links
    ] == [
        ("github", "https://github.com/sponsors/octo-org", "funding_yml", evidence),
        ("open_collective", "https://opencollective.com/octo", "funding_yml", evidence),
        ("custom", "https://octo.example/give", "funding_yml", evidence),
    ]
    assert all(link["observed_at"] == octo.enriched_at.isoformat() for link in octo.funding_links)
    assert octo.funding_error is None
    assert fake.requests("/graphql")
    assert fake.requests("/.github/contents/.github/FUNDING.yml")


async def test_a_malformed_funding_file_is_recorded_and_the_crawl_goes_on(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(SPONSOR | {"funding_yml": "github: [octo-org\n"}))

    report = await fake.service.ingest_organization("octo-org")

    assert list(await repositories(session)) == ["octo-org/web"]
    assert report.repositories == 1
    assert [(f.full_name, f.reason[:40]) for f in report.failures] == [
        ("octo-org/.github", ".github/FUNDING.yml: not valid YAML: lin")
    ]
    octo = await organization(session, "octo-org")
    assert octo.funding_error is not None
    assert octo.funding_error.startswith(".github/FUNDING.yml: not valid YAML: line 2")
    assert octo.funding_links == []
    # The GraphQL signals were still stored.
    assert octo.has_sponsors_listing is True


async def test_a_fixed_funding_file_replaces_the_error_and_its_old_links(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(SPONSOR | {"funding_yml": "github: [octo-org\n"}))
    await fake.service.ingest_organization("octo-org")
    fake.serve(scenario(SPONSOR | {"funding_yml": "liberapay: octo\n"}))

    await fake.service.ingest_organization("octo-org")

    octo = await organization(session, "octo-org")
    assert octo.funding_error is None
    assert [link["url"] for link in octo.funding_links] == ["https://liberapay.com/octo"]


async def test_a_repository_scan_enriches_its_owner(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(SPONSOR))

    await fake.service.ingest_repository("octo-org/web")

    octo = await organization(session, "octo-org")
    assert (octo.has_sponsors_listing, octo.sponsoring_count, octo.name) == (True, 3, "Octo Org")
    assert len(octo.funding_links) == 3


async def test_without_a_token_the_funding_file_is_still_read_and_signals_stay_unknown(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(SPONSOR), github_token=None)

    await fake.service.ingest_organization("octo-org")

    octo = await organization(session, "octo-org")
    assert (octo.has_sponsors_listing, octo.sponsoring_count) == (None, None)
    assert octo.sponsorship_checked_at is None
    # Without the listing, the first FUNDING.yml link is where a sponsor goes.
    assert octo.sponsorship_url == "https://github.com/sponsors/octo-org"
    assert fake.requests("/graphql") == []


async def test_discovery_keeps_the_funding_links_ecosystems_reports_per_owner(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    web = {"name": "web", "files": {".github/FUNDING.yml": "polar: octo\n"}}
    owner = {"login": "octo-org", "repositories": [web, {"name": "docs"}]}
    dependents = [
        {"repository": "octo-org/web", "filepath": "package.json"},
        {"repository": "octo-org/docs", "filepath": "package.json"},
    ]
    fake = upstream(
        scenario(
            owner, packages=[{"ecosystem": "npm", "name": "left-pad", "dependents": dependents}]
        )
    )

    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")
    await fake.service.discover_package_users(Ecosystem.NPM, "left-pad")

    octo = await organization(session, "octo-org")
    assert [
        (link["platform"], link["url"], link["source"], link["evidence"])
        for link in octo.funding_links
    ] == [("polar", "https://polar.sh/octo", "ecosystems", "https://github.com/octo-org/web")]


async def test_enrichment_rescores_the_owners_rows_in_the_users_list(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    dependents = [{"repository": "octo-org/web", "filepath": "package.json"}]
    fake = upstream(
        scenario(SPONSOR, packages=[{"ecosystem": "npm", "name": "vue", "dependents": dependents}])
    )
    await fake.service.discover_package_users(Ecosystem.NPM, "vue")
    before = await readiness_rules(session, "octo-org")

    await fake.service.enrich_organization("octo-org")

    after = await readiness_rules(session, "octo-org")
    assert before & SPONSORS_OTHERS_BIT == 0
    assert after & SPONSORS_OTHERS_BIT
    # Listing, verified, reachable join in; the push (2025-01-01) is too old to count.
    assert score(after) == 40 + 10 + 10 + 5


async def readiness_rules(session: AsyncSession, login: str) -> int:
    result = await session.execute(
        select(PackageUsage.readiness_rules, PackageUsage.readiness)
        .join(Organization, Organization.id == PackageUsage.organization_id)
        .where(Organization.login == login)
    )
    rules, readiness = result.one()
    assert readiness == score(rules)
    return int(rules)
