"""Sponsorship signals through GitHub's GraphQL API, including errors sent with HTTP 200."""

import json
from datetime import UTC, datetime

import httpx
import pytest

from app.core.errors import ProviderBadResponse, ProviderRateLimited, ProviderUnauthorized
from app.providers.base import FundingFile, FundingLink, SponsorshipSignals
from tests.providers.conftest import HarnessFactory, octo_org, recorded

SPONSORING_ORG = octo_org() | {
    "blog": "octo.example",
    "email": "hello@octo.example",
    "is_verified": True,
    "twitter_username": "octoorg",
    "members": 12,
    "has_sponsors_listing": True,
    "sponsoring": 3,
    "sponsorships_as_sponsor": 4,
    "sponsors": 12,
}


async def test_sponsorship_signals_come_from_one_graphql_query(harness: HarnessFactory) -> None:
    h = harness({"organizations": [SPONSORING_ORG]})

    signals = await h.github.get_sponsorship("octo-org")

    assert signals == SponsorshipSignals(
        login="octo-org",
        has_sponsors_listing=True,
        sponsors_listing_url="https://github.com/sponsors/octo-org",
        sponsoring_count=3,
        sponsorships_as_sponsor=4,
        sponsors_count=12,
        is_verified=True,
        website="https://octo.example",
        email="hello@octo.example",
        twitter_username="octoorg",
        member_count=12,
    )
    sent = h.fake.requests
    assert [(r["method"], r["path"], r["authorization"]) for r in sent] == [
        ("POST", "/github/graphql", True)
    ]


async def test_an_owner_without_a_listing_has_no_listing_url_and_zero_counts(
    harness: HarnessFactory,
) -> None:
    h = harness({"organizations": [octo_org() | {"email": None}]})

    signals = await h.github.get_sponsorship("octo-org")

    assert signals is not None
    assert (signals.has_sponsors_listing, signals.sponsors_listing_url) == (False, None)
    assert (signals.sponsoring_count, signals.sponsorships_as_sponsor) == (0, 0)
    # GitHub answers an empty string for an unset e-mail.
    assert signals.email is None


async def test_a_user_has_no_verification_or_members(harness: HarnessFactory) -> None:
    h = harness({"organizations": [{"login": "octocat", "kind": "User", "is_verified": True}]})

    signals = await h.github.get_sponsorship("octocat")

    assert signals is not None
    assert (signals.is_verified, signals.member_count) == (False, None)


async def test_unknown_owner_has_no_sponsorship_signals(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})

    assert await h.github.get_sponsorship("nobody-here") is None


async def test_recorded_not_found_error_with_http_200_is_not_a_failure(
    harness: HarnessFactory,
) -> None:
    not_found = recorded("github/graphql_error_not_found.json")
    h = harness(handler=lambda request: not_found.response())

    assert await h.github.get_sponsorship("octo-org") is None


async def test_other_graphql_errors_with_http_200_raise_bad_response(
    harness: HarnessFactory,
) -> None:
    body = {
        "data": None,
        "errors": [{"message": "Field 'sponsoring' doesn't exist on type 'User'"}],
    }
    h = harness(handler=lambda request: httpx.Response(200, json=body))

    with pytest.raises(ProviderBadResponse, match="doesn't exist"):
        await h.github.get_sponsorship("octo-org")


async def test_graphql_rate_limited_error_raises_with_the_reset_time(
    harness: HarnessFactory,
) -> None:
    body = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000"}
    h = harness(handler=lambda request: httpx.Response(200, json=body, headers=headers))

    with pytest.raises(ProviderRateLimited) as raised:
        await h.github.get_sponsorship("octo-org")
    assert raised.value.reset_at == datetime.fromtimestamp(1800000000, UTC)


async def test_recorded_graphql_401_raises_unauthorized(harness: HarnessFactory) -> None:
    unauthorized = recorded("github/graphql_error_401.json")
    h = harness(handler=lambda request: unauthorized.response())

    with pytest.raises(ProviderUnauthorized, match="GITHUB_TOKEN"):
        await h.github.get_sponsorship("octo-org")


async def test_without_a_token_sponsorship_is_skipped_without_a_request(
    harness: HarnessFactory,
) -> None:
    h = harness({"organizations": [SPONSORING_ORG]}, github_token=None)

    assert await h.github.get_sponsorship("octo-org") is None
    assert h.fake.requests == []


async def test_the_query_asks_for_the_sponsorable_fields(harness: HarnessFactory) -> None:
    sent: list[dict[str, object]] = []

    def capture(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"data": {"repositoryOwner": None}})

    h = harness(handler=capture)

    await h.github.get_sponsorship("octo-org")

    query = str(sent[0]["query"])
    for field in (
        "hasSponsorsListing",
        "sponsorsListing { url }",
        "sponsoring(first: 1) { totalCount }",
        "sponsorshipsAsSponsor(first: 1) { totalCount }",
        "isVerified",
        "websiteUrl",
        "twitterUsername",
        "membersWithRole(first: 1) { totalCount }",
        "repositoryOwner",
    ):
        assert field in query
    assert sent[0]["variables"] == {"login": "octo-org"}


async def test_funding_file_is_read_from_the_owners_dot_github_repository(
    harness: HarnessFactory,
) -> None:
    h = harness({"organizations": [octo_org() | {"funding_yml": "github: octo-org\n"}]})

    found = await h.github.get_funding_file("octo-org")

    assert found == FundingFile(
        "https://github.com/octo-org/.github/blob/HEAD/.github/FUNDING.yml",
        (FundingLink("github", "https://github.com/sponsors/octo-org"),),
    )
    assert [r["path"] for r in h.fake.requests] == [
        "/github/repos/octo-org/.github/contents/.github/FUNDING.yml"
    ]


async def test_an_owner_without_a_funding_file_has_none(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})

    assert await h.github.get_funding_file("octo-org") is None


async def test_a_malformed_funding_file_comes_back_with_its_error(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org() | {"funding_yml": "github: [octo\n"}]})

    found = await h.github.get_funding_file("octo-org")

    assert found is not None
    assert found.links == ()
    assert found.error is not None
    assert found.error.startswith(".github/FUNDING.yml: not valid YAML: line 2")
