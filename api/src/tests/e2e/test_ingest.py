"""Ingestion as an operator runs it: `wump serve` (and `wump worker`) as real processes, their
providers pointed at `wump dev fake-upstream`, read back over HTTP."""

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import Stack, start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(migrated_data_dir: Path) -> Iterator[Stack]:
    yield from start_stack(None, migrated_data_dir)


def test_serve_ingests_an_organization_and_a_package_with_its_own_worker(stack: Stack) -> None:
    queued = stack.post("/api/v1/ingest/organizations/octo-org")
    assert queued.status_code == 202, queued.text
    job = stack.job_when(queued.json()["id"], lambda j: j["status"] in ("completed", "failed"), 120)
    assert job["status"] == "completed", job
    assert job["records_processed"] == 5
    assert stack.users("npm", "left-pad") == [("octo-org", 1)]
    assert stack.users("pypi", "fastapi") == [("octo-org", 1)]

    discovery = stack.post("/api/v1/ingest/packages/go/github.com/spf13/cobra")
    assert discovery.status_code == 202, discovery.text
    job = stack.job_when(
        discovery.json()["id"], lambda j: j["status"] in ("completed", "failed"), 120
    )
    assert job["status"] == "completed", job
    assert stack.users("go", "github.com/spf13/cobra") == [("acme-labs", 1)]


SLOW_REPOSITORIES = 12


@pytest.fixture
def slow_stack(tmp_path: Path, migrated_data_dir: Path) -> Iterator[Stack]:
    """An organization whose crawl takes a few seconds, and no worker inside the server. A
    worker is taken for dead after 8 s without a heartbeat (one a second): on a machine busy
    with other tests, a live worker's heartbeat can lag a few seconds, and a shorter window
    would take it for dead too and run the job a third time."""
    repositories = [
        {
            "name": f"service-{n}",
            "files": {
                "package.json": json.dumps({"dependencies": {"shared-lib": "^2.0.0"}}),
                "requirements.txt": f"requests=={n}.0\n",
            },
        }
        for n in range(SLOW_REPOSITORIES)
    ]
    scenario = tmp_path / "slow.json"
    scenario.write_text(
        json.dumps(
            {
                "latency": 0.15,
                "organizations": [{"login": "slow-org", "repositories": repositories}],
            }
        )
    )
    yield from start_stack(
        scenario,
        migrated_data_dir,
        WORKER_IN_PROCESS="false",
        JOB_STALLED_AFTER="8",
        INGEST_CONCURRENCY="2",
    )


def test_a_worker_killed_mid_job_leaves_the_job_to_another_that_completes_it(
    slow_stack: Stack,
) -> None:
    first_worker = slow_stack.wump("worker")
    queued = slow_stack.post("/api/v1/ingest/organizations/slow-org")
    assert queued.status_code == 202
    job_id = queued.json()["id"]
    # Generous: the worker was only just started, and on a machine busy with other tests a new
    # process may take many seconds to import and connect before it takes the job.
    slow_stack.job_when(job_id, lambda j: j["status"] == "running", 120)
    time.sleep(1.5)  # some repositories stored, others not yet

    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=10)
    assert slow_stack.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"

    slow_stack.wump("worker")
    job = slow_stack.job_when(job_id, lambda j: j["status"] in ("completed", "failed"), 120)

    assert job["status"] == "completed", job
    assert job["attempts"] == 2
    assert slow_stack.users("npm", "shared-lib") == [("slow-org", SLOW_REPOSITORIES)]
    repository = slow_stack.get("/api/v1/repositories/slow-org/service-3").json()
    declared = sorted((d["name"], d["manifest_path"]) for d in repository["dependencies"])
    assert declared == [("requests", "requirements.txt"), ("shared-lib", "package.json")]
