"""Upstream series: requests by provider and status, retries, and the rate limit left."""

import httpx
from prometheus_client import REGISTRY

from tests.providers.conftest import HarnessFactory, octo_org, recorded

ORG = recorded("github/org.json")


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_retries_and_statuses_are_counted_per_provider(harness: HarnessFactory) -> None:
    fault = {"kind": "server_error", "match": "/github/orgs/*", "times": 2, "status": 503}
    h = harness({"organizations": [octo_org()], "faults": [fault]})
    failed = {"provider": "github", "status": "503"}
    retried = {"provider": "github", "reason": "server_error"}
    before = (
        _sample("wump_upstream_requests_total", **failed),
        _sample("wump_upstream_retries_total", **retried),
    )

    assert await h.github.get_organization("octo-org") is not None

    assert _sample("wump_upstream_requests_total", **failed) == before[0] + 2
    assert _sample("wump_upstream_retries_total", **retried) == before[1] + 2


async def test_rate_limit_left_is_kept_per_resource_with_bounded_labels(
    harness: HarnessFactory,
) -> None:
    limits = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4321"}
    answers = iter(
        [
            ORG.response(**limits, **{"x-ratelimit-resource": "core"}),
            ORG.response(**limits, **{"x-ratelimit-resource": 'Evil"}{x="1'}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers)

    h = harness(handler=handler)
    await h.github.get_organization("github")
    await h.github.get_organization("github")

    core = {"provider": "github", "resource": "core"}
    assert _sample("wump_upstream_ratelimit_remaining", **core) == 4321
    assert _sample("wump_upstream_ratelimit_limit", **core) == 5000
    other = {"provider": "github", "resource": "other"}
    assert _sample("wump_upstream_ratelimit_remaining", **other) == 4321
