"""GitHub rate limits as documented: retry-after, primary exhaustion, secondary limits, 401/403."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from app.core.errors import ProviderForbidden, ProviderRateLimited, ProviderUnauthorized
from tests.providers.conftest import NOW, HarnessFactory, octo_org, recorded

ORG = recorded("github/org.json")


def answers(
    *responses: httpx.Response,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A handler giving `responses` in order, then the recorded organization; and the URLs asked."""
    queue: Iterator[httpx.Response] = iter(responses)
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return next(queue, None) or ORG.response()

    return handler, asked


async def test_secondary_limit_waits_the_recorded_retry_after_then_retries(
    harness: HarnessFactory,
) -> None:
    abuse = recorded("github/error_403_abuse_2018.json")
    handler, asked = answers(abuse.response())
    h = harness(handler=handler)

    profile = await h.github.get_organization("github")

    assert profile is not None
    assert profile.login == "github"
    assert h.sleep.waits == [60.0]
    assert len(asked) == 2


async def test_secondary_limit_from_the_fake_waits_its_retry_after(harness: HarnessFactory) -> None:
    fault = {"kind": "secondary_limit", "retry_after": 7, "match": "/github/orgs/*"}
    h = harness({"organizations": [octo_org()], "faults": [fault]})

    assert await h.github.get_organization("octo-org") is not None
    assert h.sleep.waits == [7.0]


async def test_secondary_limit_without_retry_after_waits_a_minute_then_doubles(
    harness: HarnessFactory,
) -> None:
    secondary = recorded("github/error_403_secondary_rate_limit.json")
    handler, asked = answers(secondary.response(), secondary.response())
    h = harness(handler=handler)

    assert await h.github.get_organization("github") is not None
    assert h.sleep.waits == [60.0, 120.0]
    assert len(asked) == 3


async def test_secondary_limit_sent_as_429_is_waited_out_too(harness: HarnessFactory) -> None:
    fault = {"kind": "secondary_limit", "status": 429}
    h = harness({"organizations": [octo_org()], "faults": [fault]})

    assert await h.github.get_organization("octo-org") is not None
    assert h.sleep.waits == [60.0]


async def test_secondary_limit_longer_than_the_longest_wait_raises_with_its_end(
    harness: HarnessFactory,
) -> None:
    handler, asked = answers(httpx.Response(403, headers={"retry-after": "3600"}, json={}))
    h = harness(handler=handler, clock=lambda: NOW)

    with pytest.raises(ProviderRateLimited) as raised:
        await h.github.get_organization("github")
    assert raised.value.reset_at == datetime.fromtimestamp(NOW + 3600, UTC)
    assert h.sleep.waits == []
    assert len(asked) == 1


async def test_secondary_limits_outlasting_the_retries_raise_rate_limited(
    harness: HarnessFactory,
) -> None:
    fault = {"kind": "secondary_limit", "retry_after": 5, "times": None}
    h = harness({"organizations": [octo_org()], "faults": [fault]}, http_max_retries=2)

    with pytest.raises(ProviderRateLimited):
        await h.github.get_organization("octo-org")
    assert h.sleep.waits == [5.0, 5.0]


async def test_exhausted_primary_limit_raises_with_the_reset_time(harness: HarnessFactory) -> None:
    exhausted = recorded("github/error_403_rate_limit_unauthenticated.json")
    reset = int(NOW) + 2 * 3600
    headers = {
        "x-ratelimit-limit": "60",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(reset),
    }
    handler, asked = answers(exhausted.response(**headers))
    h = harness(handler=handler, clock=lambda: NOW)

    with pytest.raises(ProviderRateLimited) as raised:
        await h.github.get_organization("github")
    assert abs(raised.value.reset_at.timestamp() - reset) <= 1
    assert raised.value.code == "provider_rate_limited"
    assert h.sleep.waits == []
    assert len(asked) == 1


async def test_primary_limit_resetting_soon_is_waited_out(harness: HarnessFactory) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}
    handler, asked = answers(
        httpx.Response(429, headers=headers, json={"message": "API rate limit exceeded"})
    )
    h = harness(handler=handler, clock=lambda: NOW)

    assert await h.github.get_organization("github") is not None
    assert h.sleep.waits == [31.0]
    assert len(asked) == 2


async def test_primary_limit_of_the_fake_raises_rate_limited(harness: HarnessFactory) -> None:
    fault = {"kind": "primary_limit", "reset_in": 7200}
    h = harness({"organizations": [octo_org()], "faults": [fault]})

    with pytest.raises(ProviderRateLimited) as raised:
        await h.github.get_organization("octo-org")
    assert raised.value.reset_at > datetime.now(UTC)


async def test_a_403_that_is_not_a_rate_limit_is_forbidden_and_not_retried(
    harness: HarnessFactory,
) -> None:
    missing_scope = recorded("github/error_403_missing_scope.json")
    handler, asked = answers(missing_scope.response())
    h = harness(handler=handler)

    with pytest.raises(ProviderForbidden, match="read:org scope"):
        await h.github.get_organization("github")
    assert len(asked) == 1
    assert h.sleep.waits == []


async def test_bad_credentials_raise_unauthorized_without_retrying(harness: HarnessFactory) -> None:
    bad = recorded("github/error_401_bad_credentials.json")
    handler, asked = answers(bad.response())
    h = harness(handler=handler)

    with pytest.raises(ProviderUnauthorized):
        await h.github.get_organization("github")
    assert len(asked) == 1
