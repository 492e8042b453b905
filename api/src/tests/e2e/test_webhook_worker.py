"""Webhook deliveries survive a worker killed mid-request: `wump worker` processes against a
slow local receiver, SIGKILL while deliveries are in flight, and a new worker that sends each
of them exactly once more with the same `webhook-id`."""

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Stack, start_stack
from tests.services.webhooks.conftest import Received, verify

pytestmark = pytest.mark.e2e

FOLLOWED = ["pkg:npm/left-pad", "pkg:pypi/fastapi"]


class SlowReceiver:
    """Records every request; while `holding` is set it answers none of them (the attempt
    stays in flight), afterwards it answers 204 at once."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.holding = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                held = receiver.holding.is_set()
                with receiver._lock:
                    receiver.requests.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if held:
                    receiver.released.wait(timeout=120)
                    return  # the sender is gone; nothing to answer
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def ids(self) -> list[str]:
        with self._lock:
            return [r.headers["webhook-id"] for r in self.requests]

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    receiver = SlowReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hook_stack(migrated_data_dir: Path) -> Iterator[Stack]:
    """No worker inside the server; dead workers are noticed after 4 s; an attempt may wait 10 s
    for its answer (far longer than the test takes to kill the worker that sent it), and its
    claim on the delivery runs out a second later."""
    yield from start_stack(
        None,
        migrated_data_dir,
        scopes="read,ingest,webhooks",
        WORKER_IN_PROCESS="false",
        JOB_STALLED_AFTER="4",
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true",
        WEBHOOK_TIMEOUT="10",
        WEBHOOK_CLAIM_GRACE="1",
    )


def wait_for(condition: Callable[[], bool], deadline_s: float, what: str) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {deadline_s} s")


def test_deliveries_in_flight_when_the_worker_is_killed_are_sent_once_more_by_the_next(
    hook_stack: Stack, receiver: SlowReceiver
) -> None:
    receiver.holding.set()
    # Started first: on a loaded machine a new process may take a while to import and connect.
    first_worker = hook_stack.wump("worker")
    created = hook_stack.post(
        "/api/v1/webhooks", {"url": receiver.url, "purls": FOLLOWED, "include_initial": True}
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    queued = hook_stack.post("/api/v1/ingest/organizations/octo-org")
    assert queued.status_code == 202, queued.text
    job = hook_stack.job_when(queued.json()["id"], lambda j: j["status"] == "completed", 300)
    assert job["status"] == "completed"

    def deliveries() -> list[dict[str, Any]]:
        answer = hook_stack.get(f"/api/v1/webhooks/{hook['id']}/deliveries")
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    written = deliveries()
    # Both followed packages' first use by octo-org: one delivery each, made by the ingest.
    assert len(written) == len(FOLLOWED)
    wait_for(lambda: len(receiver.ids()) == len(written), 60, "every delivery in flight")
    time.sleep(0.5)  # the dispatcher has marked what it queued

    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=10)
    in_flight = receiver.ids()
    receiver.holding.clear()
    receiver.released.set()
    assert {d["status"] for d in deliveries()} == {"pending"}

    hook_stack.wump("worker")
    wait_for(
        lambda: {d["status"] for d in deliveries()} == {"delivered"}, 180, "every delivery arriving"
    )
    time.sleep(6)  # a dispatcher run and a stalled-job sweep later, nothing more is sent

    done = deliveries()
    after_restart = Counter(receiver.ids()[len(in_flight) :])
    assert sorted(in_flight) == sorted(d["id"] for d in written)
    assert after_restart == Counter({d["id"]: 1 for d in written})
    for received in receiver.requests:
        verify(hook["secret"], received)
    # The killed attempts never reported back; the one that arrived is each delivery's log.
    assert [[a["status_code"] for a in d["attempts"]] for d in done] == [[204]] * len(written)
