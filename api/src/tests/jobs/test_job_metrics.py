"""Job series: queue depth follows the enqueued jobs; attempts, durations, failures, and the
upstream requests a job made."""

from prometheus_client import REGISTRY

from app.providers.fake_upstream import DEMO_SCENARIO, load_scenario
from app.services.jobs import organization_job
from tests.jobs.conftest import HarnessFactory, JobHarness
from tests.metrics_support import value


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _scrape(harness: JobHarness) -> str:
    async for api in harness.api():
        response = await api.get("/metrics")
        assert response.status_code == 200
        return response.text
    raise AssertionError("unreachable")


async def test_queue_depth_follows_enqueued_jobs(harness: HarnessFactory) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    pending = {"job_type": "ingest_organization", "status": "pending"}

    empty = await _scrape(h)
    await h.runtime.jobs.enqueue(organization_job("octo-org"))
    one = await _scrape(h)
    await h.runtime.jobs.enqueue(organization_job("other-org"))
    await h.runtime.jobs.enqueue(organization_job("octo-org"))  # joins the first
    two = await _scrape(h)
    await h.run_jobs()
    drained = await _scrape(h)

    depth = "wump_jobs_queue_depth"
    assert [value(body, depth, **pending) for body in (empty, one, two, drained)] == [0, 1, 2, 0]
    oldest = "wump_jobs_oldest_pending_seconds"
    assert value(two, oldest, job_type="ingest_organization") > 0
    assert value(drained, oldest, job_type="ingest_organization") == 0


async def test_a_job_counts_its_attempt_duration_and_upstream_requests(
    harness: HarnessFactory,
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    kind = {"job_type": "ingest_organization"}
    completed = {**kind, "outcome": "completed"}
    github_ok = {"provider": "github", "status": "200"}
    before = (
        _sample("wump_job_attempts_total", **kind),
        _sample("wump_job_duration_seconds_count", **completed),
        _sample("wump_upstream_requests_total", **github_ok),
    )

    await h.runtime.jobs.enqueue(organization_job("octo-org"))
    await h.run_jobs()

    assert _sample("wump_job_attempts_total", **kind) == before[0] + 1
    assert _sample("wump_job_duration_seconds_count", **completed) == before[1] + 1
    assert _sample("wump_upstream_requests_total", **github_ok) > before[2]


async def test_a_permanent_failure_counts_by_reason(harness: HarnessFactory) -> None:
    h = await harness({"organizations": []})
    failed = {"job_type": "ingest_organization", "outcome": "failed"}
    permanent = {"job_type": "ingest_organization", "reason": "permanent"}
    before = (
        _sample("wump_job_duration_seconds_count", **failed),
        _sample("wump_job_failures_total", **permanent),
    )

    await h.runtime.jobs.enqueue(organization_job("ghost"))
    await h.run_jobs()

    assert _sample("wump_job_duration_seconds_count", **failed) == before[0] + 1
    assert _sample("wump_job_failures_total", **permanent) == before[1] + 1
