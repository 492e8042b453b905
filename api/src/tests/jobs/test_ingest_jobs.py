"""Ingestion jobs end to end in one process: queue, worker, providers on a fake upstream, the
database, and the read API answering from what the jobs stored."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from app.jobs.tasks import INTERRUPTED, queue_stale_organizations, recover_jobs
from app.jobs.worker import run_worker
from app.providers.fake_upstream import DEMO_SCENARIO, load_scenario
from app.services.jobs import organization_job, package_job
from tests.jobs.conftest import HarnessFactory, JobHarness


async def _users(harness: JobHarness, ecosystem: str, name: str) -> dict[str, Any]:
    async for api in harness.api():
        response = await api.get(f"/api/v1/packages/{ecosystem}/{name}/users")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
    raise AssertionError("unreachable")


async def test_organization_ingest_job_fills_the_read_api(harness: HarnessFactory) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    job, created = await h.runtime.jobs.enqueue(organization_job("octo-org"))
    assert created

    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "completed", done.error_message
    assert done.attempts == 1
    assert done.records_processed == 5  # left-pad, express, httpx, fastapi, pytest
    assert done.metadata["report"]["repositories"] == 3
    assert done.completed_at is not None
    assert done.started_at is not None
    users = await _users(h, "npm", "left-pad")
    assert [(u["login"], u["repository_count"]) for u in users["items"]] == [("octo-org", 1)]
    httpx_users = await _users(h, "pypi", "httpx")
    assert [u["login"] for u in httpx_users["items"]] == ["octo-org"]
    # The crawl enriched its owner: the demo's Sponsors listing shows without a discovery.
    async for api in h.api():
        page = (await api.get("/api/v1/organizations/octo-org")).json()
    sponsorship = page["sponsorship"]
    assert (sponsorship["has_sponsors_listing"], sponsorship["sponsors_others"]) == (True, 4)
    assert sponsorship["contact"]["twitter_username"] == "octoorg"
    assert [link["url"] for link in sponsorship["funding_links"]] == [
        "https://github.com/sponsors/octo-org",
        "https://opencollective.com/octo-org",
        "https://octo.example/donate",
    ]


async def test_package_discovery_job_stores_users_and_enriches_their_owners(
    harness: HarnessFactory,
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    job, _created = await h.runtime.jobs.enqueue(package_job("npm", "left-pad"))

    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "completed", done.error_message
    assert done.records_processed == 2
    enrich = await h.scalar(
        "SELECT string_agg(subject || ':' || status, ',' ORDER BY subject) FROM job_executions"
        " WHERE job_type = 'enrich_organization'"
    )
    assert enrich == "octo-org:completed,octocat:completed"
    assert (
        await h.scalar("SELECT sponsoring_count FROM organizations WHERE login = 'octo-org'") == 3
    )
    users = await _users(h, "npm", "left-pad")
    assert {(u["login"], u["repository_count"]) for u in users["items"]} >= {("octo-org", 1)}


async def test_a_5xx_burst_longer_than_the_client_retries_is_retried_by_the_job(
    harness: HarnessFactory,
) -> None:
    scenario = load_scenario(DEMO_SCENARIO).model_copy(deep=True)
    h = await harness(scenario)
    h.fake.add_faults(
        [
            type(scenario)
            .model_validate(
                {"faults": [{"kind": "server_error", "match": "/github/orgs/octo-org", "times": 5}]}
            )
            .faults[0]
        ]
    )
    job, _created = await h.runtime.jobs.enqueue(organization_job("octo-org"))

    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "completed"
    assert done.attempts == 2
    assert done.metadata["failures"] == 1
    assert done.error_message is None
    profile_requests = [r for r in h.fake.requests if r["path"] == "/github/orgs/octo-org"]
    assert len(profile_requests) == 6  # 4 (the client's retries) + 1 + the success


async def test_primary_rate_limit_reschedules_the_job_at_the_reset(
    harness: HarnessFactory,
) -> None:
    scenario = load_scenario(DEMO_SCENARIO)
    h = await harness(scenario)
    fault = type(scenario).model_validate(
        {"faults": [{"kind": "primary_limit", "match": "/github/orgs/octo-org", "reset_in": 3600}]}
    )
    h.fake.add_faults(fault.faults)
    job, _created = await h.runtime.jobs.enqueue(organization_job("octo-org"))

    await h.run_jobs()

    waiting = await h.execution(job)
    assert waiting.status == "pending"
    assert waiting.scheduled_at is not None
    expected = datetime.now(UTC) + timedelta(seconds=3600)
    assert abs((waiting.scheduled_at - expected).total_seconds()) < 30
    assert "rate limited" in (waiting.error_message or "")
    assert "failures" not in waiting.metadata
    queued_at = await h.scalar(
        "SELECT scheduled_at FROM procrastinate_jobs WHERE status = 'todo'"
        " AND task_name = 'ingest_organization'"
    )
    assert abs((queued_at - expected).total_seconds()) < 30


async def test_a_malformed_manifest_fails_its_repository_and_the_job_goes_on(
    harness: HarnessFactory,
) -> None:
    scenario = {
        "organizations": [
            {
                "login": "mixed",
                "repositories": [
                    {"name": "good", "files": {"package.json": '{"dependencies": {"a": "1"}}'}},
                    {"name": "broken", "files": {"package.json": '{"dependencies": '}},
                ],
            }
        ]
    }
    h = await harness(scenario)
    job, _created = await h.runtime.jobs.enqueue(organization_job("mixed"))

    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "completed"
    report = done.metadata["report"]
    assert report["repositories"] == 2
    assert report["failed_repositories"] == 1
    assert report["failures"][0]["full_name"] == "mixed/broken"
    assert await h.scalar(
        "SELECT scan_error IS NOT NULL FROM repositories WHERE full_name = 'mixed/broken'"
    )
    assert (await _users(h, "npm", "a"))["items"][0]["login"] == "mixed"


async def test_an_answer_of_the_wrong_shape_fails_its_repository_and_the_job_completes(
    harness: HarnessFactory,
) -> None:
    scenario = {
        "organizations": [
            {
                "login": "shapes",
                "repositories": [
                    {"name": "good", "files": {"package.json": '{"dependencies": {"b": "1"}}'}},
                    {"name": "odd", "files": {"package.json": '{"dependencies": {"c": "1"}}'}},
                ],
            }
        ],
        "faults": [
            {
                "kind": "malformed",
                "match": "/github/repos/shapes/odd/git/trees/*",
                "times": None,
                "body": '{"tree": {"path": "package.json"}}',
            }
        ],
    }
    h = await harness(scenario)
    job, _created = await h.runtime.jobs.enqueue(organization_job("shapes"))

    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "completed", done.error_message
    report = done.metadata["report"]
    assert (report["repositories"], report["failed_repositories"]) == (2, 1)
    assert report["failures"][0]["full_name"] == "shapes/odd"
    assert "unexpected shape" in report["failures"][0]["reason"]
    assert (await _users(h, "npm", "b"))["items"][0]["login"] == "shapes"


async def test_an_unknown_organization_fails_without_retrying(harness: HarnessFactory) -> None:
    h = await harness({"organizations": []})
    job, _created = await h.runtime.jobs.enqueue(organization_job("ghost"))

    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "failed"
    assert done.attempts == 1
    assert done.error_message
    again, created = await h.runtime.jobs.enqueue(organization_job("ghost"))
    assert created
    assert again.id != job.id


async def test_the_job_of_a_worker_that_died_runs_again(harness: HarnessFactory) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO), job_stalled_after=30)
    job, _created = await h.runtime.jobs.enqueue(organization_job("octo-org"))
    # A worker takes the job, starts it, and dies without a word: its heartbeat stops.
    manager = h.queue.job_manager
    dead_worker = await manager.register_worker()
    taken = await manager.fetch_job(queues=None, worker_id=dead_worker)
    assert taken is not None
    async with h.engine.begin() as connection:
        await connection.execute(text("UPDATE job_executions SET status = 'running', attempts = 1"))
        await connection.execute(
            text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'")
        )
    await h.run_jobs()
    assert (await h.execution(job)).status == "running"  # nobody else may take it yet

    assert await recover_jobs(h.runtime) == {"stalled": 1, "unqueued": 0, "lost": 0}
    requeued = await h.execution(job)
    assert requeued.status == "pending"
    assert "stopped" in (requeued.error_message or "")
    await h.run_jobs()

    done = await h.execution(job)
    assert done.status == "completed"
    assert done.attempts == 2
    assert await h.scalar("SELECT count(*) FROM dependencies") == 5


async def test_a_job_whose_queue_entry_was_never_written_is_queued_again(
    harness: HarnessFactory,
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    # The process died between writing the job's row and queueing it.
    async with h.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO job_executions (job_type, subject, metadata, created_at)"
                " VALUES ('ingest_organization', 'octo-org',"
                ' \'{"arguments": {"login": "octo-org"}}\', now() - interval \'5 minutes\')'
            )
        )
    assert await recover_jobs(h.runtime) == {"stalled": 0, "unqueued": 1, "lost": 0}
    await h.run_jobs()
    assert await h.scalar("SELECT status FROM job_executions") == "completed"


async def test_stale_organizations_are_crawled_again(harness: HarnessFactory) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO), refresh_stale_after_days=1)
    await h.runtime.jobs.enqueue(organization_job("octo-org"))
    await h.run_jobs()
    assert await queue_stale_organizations(h.runtime) == {"queued": 0, "enrich_queued": 0}

    async with h.engine.begin() as connection:
        await connection.execute(
            text("UPDATE organizations SET crawled_at = now() - interval '2 days'")
        )
    assert await queue_stale_organizations(h.runtime) == {"queued": 1, "enrich_queued": 0}
    await h.run_jobs()
    assert (
        await h.scalar(
            "SELECT count(*) FROM job_executions WHERE status = 'completed'"
            " AND requested_by = 'refresh_stale'"
        )
        == 1
    )


async def test_owners_known_only_through_discovery_are_enriched_again_when_stale(
    harness: HarnessFactory,
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO), refresh_stale_after_days=1)
    await h.runtime.jobs.enqueue(package_job("npm", "left-pad"))
    await h.run_jobs()
    assert await queue_stale_organizations(h.runtime) == {"queued": 0, "enrich_queued": 0}

    async with h.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE organizations SET enriched_at = now() - interval '2 days',"
                " sponsoring_count = NULL WHERE login = 'octo-org'"
            )
        )
    assert await queue_stale_organizations(h.runtime) == {"queued": 0, "enrich_queued": 1}
    await h.run_jobs()

    assert (
        await h.scalar("SELECT sponsoring_count FROM organizations WHERE login = 'octo-org'") == 3
    )


async def test_a_job_the_queue_dropped_is_failed_so_it_can_be_requested_again(
    harness: HarnessFactory,
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    job, _created = await h.runtime.jobs.enqueue(organization_job("octo-org"))
    # Say a worker of an older release did not know the task: the queue marks it failed.
    async with h.engine.begin() as connection:
        await connection.execute(text("UPDATE procrastinate_jobs SET status = 'failed'"))
    assert await recover_jobs(h.runtime) == {"stalled": 0, "unqueued": 0, "lost": 0}  # too soon

    async with h.engine.begin() as connection:
        await connection.execute(
            text("UPDATE job_executions SET updated_at = now() - interval '2 minutes'")
        )
    assert await recover_jobs(h.runtime) == {"stalled": 0, "unqueued": 0, "lost": 1}
    lost = await h.execution(job)
    assert lost.status == "failed"
    assert "no longer holds" in (lost.error_message or "")
    again, created = await h.runtime.jobs.enqueue(organization_job("octo-org"))
    assert created
    assert again.id != job.id


async def test_a_worker_shutdown_interrupts_a_long_job_which_runs_again(
    harness: HarnessFactory,
) -> None:
    scenario = {
        "latency": 0.05,
        "organizations": [
            {
                "login": "slow-org",
                "repositories": [
                    {"name": f"r{n}", "files": {"Gemfile": 'gem "rails"\n'}} for n in range(40)
                ],
            }
        ],
    }
    h = await harness(scenario, worker_shutdown_grace=0.2, ingest_concurrency=1)
    job, _created = await h.runtime.jobs.enqueue(organization_job("slow-org"))
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(h.runtime, stop))
    for _ in range(600):
        if (await h.execution(job)).status == "running":
            break
        await asyncio.sleep(0.05)

    stop.set()
    await worker

    interrupted = await h.execution(job)
    assert interrupted.status == "pending"
    assert interrupted.error_message == INTERRUPTED
    await h.run_jobs()
    done = await h.execution(job)
    assert done.status == "completed"
    assert done.attempts == 2
    assert await h.scalar("SELECT count(*) FROM dependencies") == 40
