"""When a failed job runs again: at GitHub's reset for a rate limit, with backoff for a
temporary fault (upstream or database down), never for a permanent one."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import psycopg
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


# An upstream that is down; a database shutting down, restarting or out of connection slots;
# a connection that was lost.
_TEMPORARY_ERRORS = (
    ProviderUnavailable,
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InterfaceError,
    psycopg.OperationalError,
)


def is_temporary(error: BaseException) -> bool:
    """Faults that go away by themselves: an upstream that is down, a lost database connection,
    a database restarting."""
    for cause in _causes(error):
        if isinstance(cause, _TEMPORARY_ERRORS):
            return True
        if isinstance(cause, DBAPIError) and (
            cause.connection_invalidated or isinstance(cause, OperationalError | InterfaceError)
        ):
            return True
    return False


def _causes(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (SQLAlchemy's `orig`) and what it was raised from."""
    chain: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending and len(chain) < 20:
        current = pending.pop(0)
        if current is None or any(current is seen for seen in chain):
            continue
        chain.append(current)
        orig = getattr(current, "orig", None)
        wrapped = orig if isinstance(orig, BaseException) else None
        pending.extend([wrapped, current.__cause__, current.__context__])
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
