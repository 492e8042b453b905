"""The fake upstream's mutable state: rate-limit counters, pending faults, request log, answers."""

import asyncio
import fnmatch
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.providers.fake_upstream.scenario import FaultSpec, Scenario

RATE_WINDOW = 3600
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)

TRUNCATED_BODY = '{"sha": "cut short here'


@dataclass
class PendingFault:
    spec: FaultSpec
    remaining: int | None

    def take(self, path: str) -> bool:
        if self.remaining == 0 or not fnmatch.fnmatchcase(path, self.spec.match):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass
class RateCounter:
    limit: int
    used: int = 0
    reset: int = field(default_factory=lambda: int(time.time()) + RATE_WINDOW)

    def headers(self, resource: str) -> dict[str, str]:
        if time.time() >= self.reset:
            self.used, self.reset = 0, int(time.time()) + RATE_WINDOW
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.limit - self.used)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": resource,
        }


class FakeState:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.faults = [PendingFault(f, f.times) for f in scenario.faults]
        self.requests: list[dict[str, Any]] = []
        self.counters: dict[str, RateCounter] = {}
        # Git objects per repository, built once: scenarios do not change while served.
        self.trees: dict[str, Any] = {}

    def add_faults(self, specs: list[FaultSpec]) -> None:
        self.faults.extend(PendingFault(spec, spec.times) for spec in specs)

    def counter(self, resource: str) -> RateCounter:
        return self.counters.setdefault(resource, RateCounter(self.scenario.rate_limit))

    def log(self, request: Request) -> None:
        self.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": str(request.url.query),
                "if_none_match": request.headers.get("if-none-match"),
                "authorization": "authorization" in request.headers,
                "user_agent": request.headers.get("user-agent"),
            }
        )

    async def misbehave(self, request: Request) -> Response | None:
        """The answer of the first pending fault matching this request, if any."""
        path = request.url.path
        if self.scenario.latency:
            await asyncio.sleep(self.scenario.latency)
        for fault in self.faults:
            if not fault.take(path):
                continue
            spec = fault.spec
            if spec.kind == "latency":
                await asyncio.sleep(spec.seconds)
                continue
            return self._fault_response(spec, is_github=path.startswith("/github"))
        return None

    def _fault_response(self, spec: FaultSpec, *, is_github: bool) -> Response:
        resource = "core" if is_github else "ecosystems"
        limits = self.counter(resource).headers(resource)
        match spec.kind:
            case "server_error":
                return Response("upstream is having a bad day", status_code=spec.status or 502)
            case "malformed":
                text = spec.body if spec.body is not None else '{"login": "truncated'
                return Response(text, status_code=200, media_type="application/json")
            case "truncated":
                # The connection ends before the declared length: the server closes it.
                declared = {"content-length": str(len(TRUNCATED_BODY) * 2)}
                return Response(TRUNCATED_BODY, headers=declared, media_type="application/json")
            case "unauthorized":
                body = {"message": "Bad credentials", "documentation_url": "", "status": "401"}
                return JSONResponse(body, status_code=401)
            case "forbidden":
                body = {"message": "Resource not accessible by integration"}
                return JSONResponse(body, status_code=spec.status or 403, headers=limits)
            case "secondary_limit":
                headers = dict(limits)
                if spec.retry_after is not None:
                    headers["retry-after"] = str(spec.retry_after)
                body = {"message": SECONDARY_MESSAGE, "documentation_url": ""}
                return JSONResponse(body, status_code=spec.status or 403, headers=headers)
            case "primary_limit":
                reset = str(int(time.time()) + spec.reset_in)
                headers = {**limits, "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
                if not is_github:
                    exceeded = {"error_msg": "Rate limit exceeded."}
                    return JSONResponse(exceeded, status_code=spec.status or 429, headers=headers)
                exceeded = {"message": "API rate limit exceeded for user ID 1."}
                return JSONResponse(exceeded, status_code=spec.status or 403, headers=headers)
        raise AssertionError(f"unhandled fault kind {spec.kind}")


def answer(
    request: Request,
    state: FakeState,
    body: object,
    *,
    status: int = 200,
    resource: str = "core",
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON answer with rate-limit headers and an ETag; a matching If-None-Match gets a 304."""
    counter = state.counter(resource)
    content = json.dumps(body, separators=(",", ":")).encode()
    etag = 'W/"' + hashlib.sha256(content).hexdigest()[:40] + '"'
    sent = request.headers.get("if-none-match", "")
    if status == 200 and sent and sent.removeprefix("W/") == etag.removeprefix("W/"):
        # GitHub does not count a 304 against the limit.
        return Response(status_code=304, headers={**counter.headers(resource), "etag": etag})
    if counter.used >= counter.limit:
        reset = counter.headers(resource)
        message = {"message": "API rate limit exceeded for user ID 1."}
        return JSONResponse(message, status_code=403, headers=reset)
    counter.used += 1
    all_headers = {**counter.headers(resource), **(headers or {})}
    if status == 200:
        all_headers["etag"] = etag
    return Response(content, status_code=status, headers=all_headers, media_type="application/json")


def not_found(request: Request, state: FakeState, resource: str = "core") -> Response:
    body = {"message": "Not Found", "documentation_url": "", "status": "404"}
    return answer(request, state, body, status=404, resource=resource)
