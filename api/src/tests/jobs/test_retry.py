"""When a failed job runs again."""

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from app.core.config import Settings
from app.core.errors import NotFound, ProviderBadResponse, ProviderRateLimited, ProviderUnavailable
from app.jobs.retry import decide, is_temporary

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SETTINGS = Settings(
    _env_file=None, job_max_attempts=4, job_retry_backoff_base=10, job_retry_backoff_max=60
)


def test_rate_limited_job_is_rescheduled_at_the_reset_and_not_counted() -> None:
    reset = NOW + timedelta(minutes=37)
    outcome = decide(ProviderRateLimited("primary limit", reset_at=reset), 99, SETTINGS, NOW)
    assert outcome.retry_at == reset + timedelta(seconds=1)
    assert not outcome.counts_as_failure


def test_reset_in_the_past_retries_now() -> None:
    outcome = decide(
        ProviderRateLimited("limit", reset_at=NOW - timedelta(hours=1)), 0, SETTINGS, NOW
    )
    assert outcome.retry_at == NOW + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("failures", "jitter", "delay"),
    [(0, 1.0, 10), (0, 0.0, 5), (1, 1.0, 20), (2, 1.0, 40), (2, 0.0, 20)],
)
def test_temporary_faults_back_off_exponentially_with_jitter(
    failures: int, jitter: float, delay: float
) -> None:
    outcome = decide(ProviderUnavailable("502"), failures, SETTINGS, NOW, jitter=lambda: jitter)
    assert outcome.retry_at == NOW + timedelta(seconds=delay)
    assert outcome.counts_as_failure


def test_backoff_is_capped() -> None:
    settings = SETTINGS.model_copy(update={"job_max_attempts": 50})
    outcome = decide(ProviderUnavailable("502"), 20, settings, NOW, jitter=lambda: 1.0)
    assert outcome.retry_at == NOW + timedelta(seconds=60)


def test_gives_up_after_the_last_attempt() -> None:
    outcome = decide(ProviderUnavailable("502"), 3, SETTINGS, NOW)
    assert outcome.retry_at is None
    assert "gave up after 4 attempts" in outcome.reason


@pytest.mark.parametrize(
    "error", [NotFound("no organization 'x'"), ProviderBadResponse("not JSON"), ValueError("bug")]
)
def test_permanent_failures_are_not_retried(error: Exception) -> None:
    outcome = decide(error, 0, SETTINGS, NOW)
    assert outcome.retry_at is None
    assert outcome.reason == str(error)


def test_lost_database_connections_are_temporary() -> None:
    wrapped = OperationalError("SELECT 1", {}, asyncpg.exceptions.ConnectionDoesNotExistError())
    assert is_temporary(wrapped)
    assert is_temporary(ConnectionRefusedError())
    outer = RuntimeError("store failed")
    outer.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert is_temporary(outer)
    assert not is_temporary(ValueError("bad row"))


def test_a_database_that_is_restarting_is_temporary() -> None:
    # As SQLAlchemy's asyncpg dialect raises it while the server shuts down.
    adapted = Exception("the database system is shutting down")
    adapted.__cause__ = asyncpg.exceptions.CannotConnectNowError("shutting down")
    wrapped = DBAPIError("SELECT 1", {}, adapted)
    assert not isinstance(wrapped, OperationalError)
    assert is_temporary(wrapped)
    assert not is_temporary(DBAPIError("SELECT 1", {}, ValueError("bad literal")))
