"""The fault suite: `wump serve` on embedded engines with a small seed, one fault at a time.

    uv run python benchmarks/chaos.py [--stall 25] [--after 10] [--concurrency 8] [--only NAMES]

Starts everything in a temporary directory on 127.0.0.1 only (the fake upstream, `wump dev seed
--scale small`, `wump serve`), keeps a steady read load (package users, search, stats) and a
readiness probe running, and injects each fault for a bounded time: Valkey stopped (SIGSTOP) and
killed, every PostgreSQL process stopped, one backend killed, PostgreSQL restarted, upstream 5xx
bursts, secondary limits and malformed answers for some repositories during an ingest, and the
`wump worker` running an ingest killed with SIGKILL. Stopped processes always get SIGCONT,
whatever fails. With `--schemathesis N`, schemathesis then sends N examples per operation of the
OpenAPI document with an admin key and without, counting 5xx answers. Prints one table: requests
sent, status codes seen, p50/p99 latency during the fault and after it, time to recover (until
every answer is 2xx again), and rows lost or duplicated (the ingest's repositories and their
dependencies against the scenario).
"""

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import httpx
import psutil
import yaml

from app.providers.fake_upstream import DEMO_SCENARIO

LOCAL = "127.0.0.1"
# The organization a worker is killed while ingesting: enough repositories to take a few seconds.
KILL_ORG = "chaos-org"
KILL_REPOSITORIES = 40
_SCRUBBED = ("DATABASE_URL", "VALKEY_URL", "WUMP_DATA_DIR", "WORKER_IN_PROCESS")


@dataclass
class Sample:
    at: float
    status: int
    seconds: float


@dataclass
class Outcome:
    fault: str
    samples: list[Sample] = field(default_factory=list)
    ready: list[Sample] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    rows: str = "0 / 0"
    # A kill is over the moment it happens: recovery counts from its start, not its end.
    instant: bool = False

    def row(self) -> str:
        during = [s for s in self.samples if self.started <= s.at < self.ended]
        after = [s for s in self.samples if s.at >= self.ended]
        codes = Counter(s.status for s in self.samples)
        ready_codes = Counter(s.status for s in self.ready if self.started <= s.at < self.ended)
        failing = [s.at for s in self.samples if s.at >= self.started and not 200 <= s.status < 300]
        since = self.started if self.instant else self.ended
        recovered = max(0.0, max(failing) - since) if failing else 0.0
        lasted = self.ended - self.started
        return (
            f"| {self.fault} | {lasted:.1f} s | {len(self.samples)} | {_codes(codes)} | "
            f"{_codes(ready_codes)} | "
            f"{_percentiles(during)} | {_percentiles(after)} | {recovered:.1f} s | {self.rows} |"
        )


def _codes(counts: Counter[int]) -> str:
    return " ".join(f"{code}: {n}" for code, n in sorted(counts.items())) or "-"


def _percentiles(samples: list[Sample]) -> str:
    if not samples:
        return "-"
    ordered = sorted(s.seconds * 1000 for s in samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{p50:.0f} / {p99:.0f} ms"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((LOCAL, 0))
        port: int = sock.getsockname()[1]
        return port


class Stack:
    """The processes under test, stopped (and resumed, if stopped) on exit."""

    def __init__(self, data_dir: Path, logs: Path | None) -> None:
        self.data_dir = data_dir
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []
        self.worker: subprocess.Popen[bytes]
        self.api_port = free_port()
        self.upstream_port = free_port()
        upstream = f"http://{LOCAL}:{self.upstream_port}"
        self.environment = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        self.environment.update(
            WUMP_DATA_DIR=str(data_dir),
            LOG_FORMAT="json",
            LOG_LEVEL="WARNING",
            ENVIRONMENT="development",
            RATE_LIMIT_ANONYMOUS="10000000",
            GITHUB_API_URL=f"{upstream}/github",
            GITHUB_GRAPHQL_URL=f"{upstream}/github/graphql",
            GITHUB_TOKEN="fake-upstream-token",
            ECOSYSTEMS_API_URL=f"{upstream}/ecosystems/api/v1",
            HTTP_BACKOFF_BASE="0.05",
            HTTP_BACKOFF_MAX="0.5",
            # Ingests run in a `wump worker` of their own, so one can be killed mid-job; a
            # killed worker's job is queued again after this many seconds.
            WORKER_IN_PROCESS="false",
            JOB_STALLED_AFTER="4",
            JOB_RETRY_BACKOFF_BASE="0.5",
        )
        self.base = f"http://{LOCAL}:{self.api_port}"
        self.upstream = upstream

    def wump(self, *args: str) -> subprocess.Popen[bytes]:
        stderr: int | TextIO = subprocess.DEVNULL
        if self.logs is not None:
            self.logs.mkdir(parents=True, exist_ok=True)
            name = f"{args[0]}-{args[1] if len(args) > 1 else ''}-{len(self.processes)}.log"
            stderr = (self.logs / name).open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        self.processes.append(process)
        return process

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.environment,
            capture_output=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"wump {' '.join(args)} failed: {result.stderr.decode()[-2000:]}")
        return result.stdout.decode()

    def stop(self) -> None:
        for pid in [*self.postgres_pids(), self.valkey_pid()]:
            if pid > 0:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGCONT)
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()

    def valkey_pid(self) -> int:
        try:
            return int((self.data_dir / "valkey" / "valkey.pid").read_text().strip())
        except (OSError, ValueError):
            return 0

    def postmaster_pid(self) -> int:
        try:
            return int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def postgres_pids(self) -> list[int]:
        postmaster = self.postmaster_pid()
        try:
            parent = psutil.Process(postmaster)
            return [postmaster, *(child.pid for child in parent.children(recursive=True))]
        except psutil.Error:
            return []

    def wait_until(self, check: Callable[[], bool], deadline_s: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < deadline_s:
            with contextlib.suppress(httpx.HTTPError):
                if check():
                    return time.monotonic() - started
            time.sleep(0.2)
        raise SystemExit(f"gave up after {deadline_s} s")

    def answers(self, path: str, status: int = 200) -> bool:
        return httpx.get(f"{self.base}{path}", timeout=5).status_code == status

    def upstream_answers(self) -> bool:
        return httpx.get(f"{self.upstream}/github/rate_limit", timeout=5).status_code < 600

    def cache_healthy(self) -> bool:
        health = httpx.get(f"{self.base}/health", timeout=5).json()
        return bool(health["checks"]["cache"]["status"] == "healthy")


@contextlib.contextmanager
def stopped(pids: list[int]) -> Iterator[None]:
    """SIGSTOP for the block (callers keep it bounded), SIGCONT always."""
    pids = [pid for pid in pids if pid > 0]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGCONT)


async def load(
    stack: Stack, urls: list[str], outcome: Outcome, stop: asyncio.Event, n: int
) -> None:
    async with httpx.AsyncClient(base_url=stack.base, timeout=30) as client:

        async def reader(offset: int) -> None:
            index = offset
            while not stop.is_set():
                url = urls[index % len(urls)]
                index += 1
                started = time.monotonic()
                try:
                    status = (await client.get(url)).status_code
                except httpx.HTTPError:
                    status = 0
                outcome.samples.append(Sample(started, status, time.monotonic() - started))
                await asyncio.sleep(0.02)

        async def prober() -> None:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    status = (await client.get("/health/ready")).status_code
                except httpx.HTTPError:
                    status = 0
                outcome.ready.append(Sample(started, status, time.monotonic() - started))
                await asyncio.sleep(0.5)

        await asyncio.gather(*(reader(i) for i in range(n)), prober())


async def under_load(
    stack: Stack, urls: list[str], name: str, fault: Callable[[], None], args: argparse.Namespace
) -> Outcome:
    outcome = Outcome(name, instant="SIG" not in name or "SIGKILL" in name)
    stop = asyncio.Event()
    task = asyncio.create_task(load(stack, urls, outcome, stop, args.concurrency))
    await asyncio.sleep(2)
    outcome.started = time.monotonic()
    await asyncio.to_thread(fault)
    outcome.ended = time.monotonic()
    await asyncio.sleep(args.after)
    stop.set()
    await task
    return outcome


def read_urls(stack: Stack) -> list[str]:
    page = httpx.get(f"{stack.base}/api/v1/packages", params={"limit": 20}, timeout=30).json()
    urls = [f"/api/v1/packages/{p['ecosystem']}/{p['name']}/users" for p in page["items"]]
    urls += [f"/api/v1/packages?q={p['name'][:3]}" for p in page["items"][:5]]
    return [*urls, "/api/v1/stats"]


def set_upstream_faults(stack: Stack, faults: list[dict[str, object]]) -> None:
    httpx.delete(f"{stack.upstream}/_control/faults", timeout=10)
    httpx.post(f"{stack.upstream}/_control/faults", json=faults, timeout=10)


def queue_ingest(stack: Stack, key: str, login: str, outcome: Outcome) -> str:
    started = time.monotonic()
    answer = httpx.post(
        f"{stack.base}/api/v1/ingest/organizations/{login}",
        headers={"X-API-Key": key},
        timeout=30,
    )
    outcome.samples.append(Sample(started, answer.status_code, time.monotonic() - started))
    return str(answer.json().get("url", ""))


def poll_job(
    stack: Stack,
    key: str,
    job_url: str,
    outcome: Outcome,
    until: Callable[[dict[str, object]], bool],
) -> dict[str, object]:
    """Poll the job (each answer a sample) until `until` holds, for at most two minutes."""
    deadline = time.monotonic() + 120
    job: dict[str, object] = {}
    while time.monotonic() < deadline:
        started = time.monotonic()
        polled = httpx.get(f"{stack.base}{job_url}", headers={"X-API-Key": key}, timeout=30)
        outcome.samples.append(Sample(started, polled.status_code, time.monotonic() - started))
        if polled.status_code == 200:
            job = polled.json()
            if until(job):
                return job
        time.sleep(0.25)
    return job


def _finished(job: dict[str, object]) -> bool:
    return job.get("status") in ("completed", "failed")


def _report(job: dict[str, object]) -> dict[str, object]:
    metadata = job.get("metadata")
    report = metadata.get("report") if isinstance(metadata, dict) else None
    return report if isinstance(report, dict) else {}


def ingest_under_faults(
    stack: Stack, key: str, label: str, faults: list[dict[str, object]], expected: int | None
) -> tuple[Outcome, int]:
    """Queue an ingest of octo-org while the upstream misbehaves; count what got stored."""
    outcome = Outcome(f"upstream {label} during an ingest")
    set_upstream_faults(stack, faults)
    outcome.started = time.monotonic()
    job = poll_job(stack, key, queue_ingest(stack, key, "octo-org", outcome), outcome, _finished)
    outcome.ended = time.monotonic()
    status = f"job {job.get('status')}"
    failed = _report(job).get("failed_repositories")
    if failed:
        status += f", {failed} {'repository' if failed == 1 else 'repositories'} failed"
    organization = httpx.get(f"{stack.base}/api/v1/organizations/octo-org", timeout=30).json()
    stored = int(organization.get("repository_count", 0))
    if expected is None:
        outcome.rows = f"baseline: {stored} repositories ({status})"
        return outcome, stored
    outcome.rows = f"{max(0, expected - stored)} / {max(0, stored - expected)} ({status})"
    return outcome, expected


def kill_org_repositories() -> list[dict[str, object]]:
    return [
        {
            "name": f"service-{n}",
            "files": {
                "package.json": json.dumps({"dependencies": {"chaos-shared": "^2.0.0"}}),
                "requirements.txt": f"chaos-requests=={n}.0\n",
            },
        }
        for n in range(KILL_REPOSITORIES)
    ]


def worker_killed_mid_ingest(stack: Stack, key: str) -> Outcome:
    """SIGKILL the worker running an ingest of chaos-org, start another, and compare every
    repository's dependencies with the scenario once the job is done."""
    outcome = Outcome("worker SIGKILL mid-ingest", instant=True)
    # Slow enough that the kill lands mid-crawl.
    slow = {"kind": "latency", "match": f"/github/repos/{KILL_ORG}/*", "times": None}
    set_upstream_faults(stack, [{**slow, "seconds": 0.1}])
    job_url = queue_ingest(stack, key, KILL_ORG, outcome)
    poll_job(stack, key, job_url, outcome, lambda job: job.get("status") == "running")
    time.sleep(2)
    stored_before = _report(poll_job(stack, key, job_url, outcome, lambda job: True))
    outcome.started = time.monotonic()
    stack.worker.send_signal(signal.SIGKILL)
    stack.worker.wait(timeout=10)
    stack.worker = stack.wump("worker")
    job = poll_job(stack, key, job_url, outcome, _finished)
    outcome.ended = time.monotonic()
    set_upstream_faults(stack, [])
    lost = duplicated = 0
    for n in range(KILL_REPOSITORIES):
        answer = httpx.get(f"{stack.base}/api/v1/repositories/{KILL_ORG}/service-{n}", timeout=30)
        declared = [
            (d["name"], d["manifest_path"])
            for d in (answer.json().get("dependencies", []) if answer.status_code == 200 else [])
        ]
        wanted = {("chaos-shared", "package.json"), ("chaos-requests", "requirements.txt")}
        lost += len(wanted - set(declared))
        duplicated += len(declared) - len(set(declared)) + len(set(declared) - wanted)
    outcome.fault += f" ({stored_before.get('repositories', 0)} of {KILL_REPOSITORIES} stored)"
    outcome.rows = (
        f"{lost} / {duplicated} of {2 * KILL_REPOSITORIES} dependencies "
        f"(job {job.get('status')}, {job.get('attempts')} attempts)"
    )
    return outcome


def schemathesis_run(stack: Stack, examples: int, key: str | None) -> Outcome:
    """Schemathesis over the whole OpenAPI document; every answer it got is a sample."""
    outcome = Outcome(f"schemathesis, {'admin key' if key else 'anonymous'}", instant=True)
    har = stack.data_dir / f"schemathesis-{'admin' if key else 'anonymous'}.har"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{stack.base}/openapi.json",
        "--max-examples",
        str(examples),
        "--checks",
        "not_a_server_error",
        "--report",
        "har",
        "--report-har-path",
        str(har),
    ]
    if key:
        command += ["--header", f"X-API-Key: {key}"]
    outcome.started = time.monotonic()
    # In the temporary directory: schemathesis keeps a cache where it runs.
    subprocess.run(command, cwd=stack.data_dir, capture_output=True, timeout=900, check=False)
    outcome.ended = time.monotonic()
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    for entry in entries:
        seconds = float(entry.get("time", 0)) / 1000
        outcome.samples.append(Sample(outcome.started, int(entry["response"]["status"]), seconds))
    fives = sum(1 for sample in outcome.samples if sample.status >= 500)
    outcome.rows = f"{fives} answers were 5xx"
    return outcome


async def main(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="wump-chaos-"))
    stack = Stack(data_dir, args.logs)
    outcomes: list[Outcome] = []
    try:
        scenario = yaml.safe_load(DEMO_SCENARIO.read_text())
        scenario["organizations"].append(
            {"login": KILL_ORG, "repositories": kill_org_repositories()}
        )
        scenario_file = data_dir / "scenario.json"
        scenario_file.write_text(json.dumps(scenario, default=str))
        stack.wump(
            "dev",
            "fake-upstream",
            "--scenario",
            str(scenario_file),
            "--port",
            str(stack.upstream_port),
        )
        stack.wait_until(stack.upstream_answers, 120)
        stack.run("dev", "seed", "--scale", "small")
        stack.wump("serve", "--port", str(stack.api_port))
        stack.wait_until(lambda: stack.answers("/health/ready"), 300)
        stack.worker = stack.wump("worker")
        key = stack.run(
            "keys", "create", "--name", "chaos", "--scopes", "read,ingest", "--tier", "enterprise"
        ).split()[0]
        urls = read_urls(stack)
        stall = args.stall

        def valkey_stop() -> None:
            with stopped([stack.valkey_pid()]):
                time.sleep(stall)

        def valkey_kill() -> None:
            os.kill(stack.valkey_pid(), signal.SIGKILL)
            stack.wait_until(stack.cache_healthy, 120)

        def postgres_stop() -> None:
            with stopped(stack.postgres_pids()):
                time.sleep(stall)

        def postgres_backend_kill() -> None:
            backends = [pid for pid in stack.postgres_pids()[1:] if _is_client_backend(pid)]
            os.kill((backends or stack.postgres_pids()[1:])[0], signal.SIGKILL)
            time.sleep(1)
            stack.wait_until(lambda: stack.answers("/health/ready"), 120)

        def postgres_restart() -> None:
            # A fast shutdown; `wump serve` supervises the server and starts it again.
            os.kill(stack.postmaster_pid(), signal.SIGINT)
            time.sleep(1)
            stack.wait_until(lambda: stack.answers("/health/ready"), 120)

        faults: dict[str, Callable[[], None]] = {
            f"valkey SIGSTOP {stall:g} s": valkey_stop,
            "valkey SIGKILL": valkey_kill,
            f"postgresql SIGSTOP {stall:g} s": postgres_stop,
            "postgresql backend SIGKILL": postgres_backend_kill,
            "postgresql restart": postgres_restart,
        }
        for name, fault in faults.items():
            if args.only and not any(part in name for part in args.only):
                continue
            print(f"# {name}", file=sys.stderr, flush=True)
            outcomes.append(await under_load(stack, urls, name, fault, args))
        if not args.only or any("upstream" in part for part in args.only):
            expected: int | None = None
            web, api = "/github/repos/octo-org/web/git/*", "/github/repos/octo-org/api/git/trees/*"
            upstream_faults: list[tuple[str, list[dict[str, object]]]] = [
                ("none (baseline)", []),
                ("server_error", [{"kind": "server_error", "times": 6}]),
                ("secondary_limit", [{"kind": "secondary_limit", "times": 3, "retry_after": 1}]),
                (
                    "not JSON and wrong shape for 2 repositories",
                    [
                        {"kind": "malformed", "match": web, "times": None},
                        {"kind": "malformed", "match": api, "times": None, "body": '{"tree": 5}'},
                    ],
                ),
                (
                    "bodies cut short for 1 repository",
                    [{"kind": "truncated", "match": web, "times": None}],
                ),
            ]
            for label, injected in upstream_faults:
                print(f"# upstream {label}", file=sys.stderr, flush=True)
                outcome, expected = ingest_under_faults(stack, key, label, injected, expected)
                outcomes.append(outcome)
            set_upstream_faults(stack, [])
        if not args.only or any(part in "worker SIGKILL" for part in args.only):
            print("# worker SIGKILL mid-ingest", file=sys.stderr, flush=True)
            outcomes.append(worker_killed_mid_ingest(stack, key))
        if args.schemathesis:
            admin = stack.run(
                "keys",
                "create",
                "--name",
                "fuzz",
                "--scopes",
                "read,ingest,admin,webhooks",
                "--tier",
                "enterprise",
            ).split()[0]
            for fuzz_key in (None, admin):
                print(f"# schemathesis {'admin' if fuzz_key else 'anonymous'}", file=sys.stderr)
                outcomes.append(schemathesis_run(stack, args.schemathesis, fuzz_key))
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(
        "| fault | lasted | requests | status codes | readiness during | p50 / p99 during "
        "| p50 / p99 after | time to recover | rows lost / duplicated |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for outcome in outcomes:
        print(outcome.row())


def _is_client_backend(pid: int) -> bool:
    try:
        return " wump " in " ".join(psutil.Process(pid).cmdline()) + " "
    except psutil.Error:
        return False


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stall", type=float, default=25.0, help="Seconds a SIGSTOP lasts.")
    parser.add_argument("--after", type=float, default=10.0, help="Seconds observed after.")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent readers.")
    parser.add_argument("--logs", type=Path, help="Keep the servers' logs in this folder.")
    parser.add_argument(
        "--schemathesis",
        type=int,
        default=0,
        metavar="N",
        help="Also run schemathesis, N examples per operation (0: not at all).",
    )
    parser.add_argument(
        "--only", type=lambda text: text.split(","), default=[], help="Faults whose name has one."
    )
    arguments = parser.parse_args()
    if arguments.stall > 60:
        parser.error("--stall is at most 60 s")
    asyncio.run(main(arguments))
