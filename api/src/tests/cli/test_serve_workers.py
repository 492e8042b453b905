"""How many processes `wump serve` runs when --workers is not given."""

import os

import pytest

from app.cli.server import worker_processes


def _cores() -> int:
    return len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("requested", "environment", "reload", "expected"),
    [
        (None, "production", False, _cores()),
        (None, "staging", False, _cores()),
        (None, "test", False, 1),
        (None, "development", False, 1),
        (None, "production", True, 1),
        (3, "development", False, 3),
        (2, "production", False, 2),
    ],
)
def test_workers_default_to_one_per_core_outside_development(
    requested: int | None, environment: str, reload: bool, expected: int
) -> None:
    assert worker_processes(requested, environment, reload=reload) == expected
