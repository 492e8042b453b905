"""Upstream rate-limit answers, read as GitHub documents them (ecosyste.ms uses the same)."""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from app.core.errors import ProviderRateLimited
from app.core.metrics import record_ratelimit
from app.providers.http import Clock, Retry, retry_after_seconds

# GitHub: "wait for at least one minute before retrying" when a secondary limit names no time.
SECONDARY_MIN_WAIT = 60.0
_SECONDARY_MARKERS = ("secondary rate limit", "abuse detection")


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    limit: int | None
    remaining: int | None
    used: int | None
    reset_at: datetime | None
    resource: str | None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> "RateLimitStatus | None":
        if "x-ratelimit-remaining" not in headers:
            return None
        reset = _integer(headers.get("x-ratelimit-reset"))
        return cls(
            limit=_integer(headers.get("x-ratelimit-limit")),
            remaining=_integer(headers.get("x-ratelimit-remaining")),
            used=_integer(headers.get("x-ratelimit-used")),
            reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
            resource=headers.get("x-ratelimit-resource"),
        )


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def error_message(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return response.text[:500]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error_msg") or "")
    return ""


class HeaderRateLimits:
    """Turns 403/429 rate-limit answers into waits, or into ProviderRateLimited when too long.

    Order as GitHub documents it: `retry-after` first; then `x-ratelimit-remaining: 0` waits
    until `x-ratelimit-reset`; then a secondary limit without either waits at least a minute,
    doubling each time it repeats. A 403 that is none of these is handed back (missing scope).
    """

    def __init__(
        self,
        max_wait: float,
        *,
        limited_statuses: tuple[int, ...] = (403, 429),
        clock: Clock = time.time,
        provider: str = "github",
    ) -> None:
        self._max_wait = max_wait
        self._provider = provider
        self._limited_statuses = limited_statuses
        self._clock = clock
        self.last: dict[str, RateLimitStatus] = {}

    def assess(self, response: httpx.Response, attempt: int) -> Retry | None:
        status = RateLimitStatus.from_headers(response.headers)
        if status is not None:
            self.last[status.resource or "core"] = status
            record_ratelimit(self._provider, status.resource, status.remaining, status.limit)
        if response.status_code not in self._limited_statuses:
            return None
        now = self._clock()
        retry_after = retry_after_seconds(response.headers, now)
        if retry_after is not None:
            return self._bounded(retry_after, now, response)
        if status is not None and status.remaining == 0 and status.reset_at is not None:
            # One second of margin: the reset time is whole seconds and clocks drift.
            return self._bounded(max(0.0, status.reset_at.timestamp() - now) + 1, now, response)
        message = error_message(response).lower()
        if response.status_code == 429 or any(m in message for m in _SECONDARY_MARKERS):
            return self._bounded(SECONDARY_MIN_WAIT * 2**attempt, now, response)
        return None

    def _bounded(self, seconds: float, now: float, response: httpx.Response) -> Retry:
        if seconds > self._max_wait:
            reset_at = datetime.fromtimestamp(now + seconds, UTC)
            raise ProviderRateLimited(
                f"{response.request.url} is rate limited until {reset_at.isoformat()}",
                reset_at=reset_at,
            )
        return Retry(seconds, limited=True)
