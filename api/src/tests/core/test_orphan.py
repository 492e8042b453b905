"""A process `wump serve` started stops once the serve is gone, even when the serve died while
the process was still starting."""

import os
import signal

import pytest

from app.core import orphan


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, number: sent.append((pid, number)))
    return sent


def test_a_worker_whose_serve_died_while_it_started_stops_at_once(
    monkeypatch: pytest.MonkeyPatch, signals: list[tuple[int, int]]
) -> None:
    # Started by a serve that is gone: this process has another parent now. (Neither this
    # process nor its parent: a test worker's pid is often its parent's plus one.)
    gone = os.getpid() + os.getppid()
    monkeypatch.setenv(orphan.SERVE_PID_ENV, str(gone))

    assert orphan.watch_parent() is None
    assert signals == [(os.getpid(), signal.SIGTERM)]


@pytest.mark.parametrize("value", [None, "not-a-pid", "self"])
def test_a_process_that_serve_did_not_start_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, signals: list[tuple[int, int]], value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(orphan.SERVE_PID_ENV, raising=False)
    else:
        # "self": the serve process itself, running the app without workers.
        monkeypatch.setenv(orphan.SERVE_PID_ENV, str(os.getpid()) if value == "self" else value)

    assert orphan.watch_parent() is None
    assert signals == []
