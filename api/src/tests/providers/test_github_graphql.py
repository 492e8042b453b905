"""Sponsorship signals through GitHub's GraphQL API, including errors sent with HTTP 200."""

import json
from datetime import UTC, datetime

import httpx
import pytest

from app.core.errors import ProviderBadResponse, ProviderRateLimited, ProviderUnauthorized
from app.providers.base import FundingLink
from tests.providers.conftest import HarnessFactory, octo_org, recorded

SPONSORING_ORG = octo_org() | {
    "has_sponsors_listing": True,
    "sponsoring": 3,
    "sponsors": 12,
    "funding_links": [
        {"platform": "GITHUB", "url": "https://github.com/octo-org"},
        {"platform": "OPEN_COLLECTIVE", "url": "https://opencollective.com/octo"},
    ],
}


async def test_sponsorship_signals_come_from_one_graphql_query(harness: HarnessFactory) -> None:
    h = harness({"organizations": [SPONSORING_ORG]})

    signals = await h.github.get_sponsorship("octo-org")

    assert signals is not None
    assert signals.has_sponsors_listing is True
    assert (signals.sponsoring_count, signals.sponsors_count) == (3, 12)
    assert signals.funding_links == (
        FundingLink("GITHUB", "https://github.com/octo-org"),
        FundingLink("OPEN_COLLECTIVE", "https://opencollective.com/octo"),
    )
    sent = h.fake.requests
    assert [(r["method"], r["path"], r["authorization"]) for r in sent] == [
        ("POST", "/github/graphql", True)
    ]


async def test_missing_dot_github_repository_only_means_no_funding_links(
    harness: HarnessFactory,
) -> None:
    h = harness({"organizations": [octo_org()]})

    signals = await h.github.get_sponsorship("octo-org")

    assert signals is not None
    assert signals.funding_links == ()
    assert (signals.has_sponsors_listing, signals.sponsoring_count) == (False, 0)


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
    for field in ("hasSponsorsListing", "sponsoring(first: 1)", "fundingLinks", "repositoryOwner"):
        assert field in query
    assert sent[0]["variables"] == {"login": "octo-org"}
