"""When a failed job runs again: at GitHub's reset for a rate limit, with backoff for a
temporary fault (upstream or database down), never for a permanent one."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from app.core.config import Settings
from app.core.errors import ProviderRateLimited, ProviderUnavailable

# Seconds after GitHub's reset time, so the retry does not arrive a moment early.
RESET_MARGIN_S = 1.0


@dataclass(frozen=True)
class Outcome:
    """`retry_at` None: the job has failed for good."""

    retry_at: datetime | None
    reason: str
    counts_as_failure: bool


def is_temporary(error: BaseException) -> bool:
    """Faults that go away by themselves: an upstream that is down, a lost database connection."""
    if isinstance(error, ProviderUnavailable | ConnectionError | TimeoutError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    if isinstance(error, OSError):
        return True
    # asyncpg and psycopg raise their own connection errors outside SQLAlchemy's wrappers.
    return any(
        type(cause).__name__
        in {"ConnectionDoesNotExistError", "CannotConnectNowError", "AdminShutdownError"}
        or (
            type(cause).__module__.startswith("psycopg")
            and type(cause).__name__ == "OperationalError"
        )
        for cause in _causes(error)
    )


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def decide(
    error: BaseException,
    failures: int,
    settings: Settings,
    now: datetime,
    jitter: Callable[[], float] = random.random,
) -> Outcome:
    """What to do after an attempt raised `error`; `failures` counts earlier temporary faults."""
    reason = str(error) or type(error).__name__
    if isinstance(error, ProviderRateLimited):
        retry_at = max(error.reset_at, now) + timedelta(seconds=RESET_MARGIN_S)
        return Outcome(retry_at, f"rate limited until {error.reset_at.isoformat()}", False)
    if is_temporary(error) and failures + 1 < settings.job_max_attempts:
        delay = min(settings.job_retry_backoff_base * 2**failures, settings.job_retry_backoff_max)
        # Full jitter on the upper half: replicas that failed together do not retry together.
        delay *= 0.5 + 0.5 * jitter()
        return Outcome(now + timedelta(seconds=delay), reason, True)
    if is_temporary(error):
        reason = f"{reason} (gave up after {failures + 1} attempts)"
    return Outcome(None, reason, True)
