"""`wump ingest --wait` output: progress lines, one summary with plurals, and the follow-up jobs
a package discovery queues."""

import asyncio
import uuid

import pytest

from app.cli.jobs import _follow, _follow_ups, plural
from app.providers.fake_upstream import DEMO_SCENARIO, load_scenario
from app.services.jobs import enrich_job, package_job
from tests.jobs.conftest import HarnessFactory


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "dependency row", "1 dependency row"),
        (0, "dependency row", "0 dependency rows"),
        (1, "repository", "1 repository"),
        (3, "repository", "3 repositories"),
        (2, "follow-up job", "2 follow-up jobs"),
        (2, "key", "2 keys"),
    ],
)
def test_counts_are_pluralized(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


async def test_wait_prints_the_end_once_and_records_the_follow_up_jobs(
    harness: HarnessFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    job, _ = await h.runtime.jobs.enqueue(package_job("npm", "left-pad"))

    follow = asyncio.create_task(_follow(h.runtime.jobs, job))
    await h.run_jobs()
    done = await asyncio.wait_for(follow, 10)

    # Log lines share stdout in tests; the command's own lines start with the status.
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("completed")]
    assert done.status == "completed"
    assert lines == ["completed: 2 dependency rows, 2 repositories, 0 failed"]
    follow_ups = [uuid.UUID(value) for value in done.metadata["follow_ups"]]
    assert await h.runtime.jobs.count_by_status(follow_ups) == {"completed": 2}


async def test_wait_for_a_discovery_waits_for_its_follow_up_jobs(
    harness: HarnessFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    h = await harness(load_scenario(DEMO_SCENARIO))
    discovery, _ = await h.runtime.jobs.enqueue(package_job("npm", "left-pad"))
    pending, _ = await h.runtime.jobs.enqueue(enrich_job("octo-org"))
    waiting_on = discovery.model_copy(
        update={"metadata": {**discovery.metadata, "follow_ups": [str(pending.id)]}}
    )

    follow = asyncio.create_task(_follow_ups(h.runtime.jobs, waiting_on))
    await asyncio.sleep(1.5)
    assert not follow.done()
    await h.run_jobs()
    await asyncio.wait_for(follow, 10)

    out = capsys.readouterr().out
    assert "waiting for 1 follow-up job (owner profiles)" in out
    assert "follow-up jobs: 1 completed, 0 failed" in out
