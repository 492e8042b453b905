"""Logging set-up: what reaches the log and what never does."""

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

import pytest
import structlog

from app.core.logging import configure_logging, get_logger


def test_http_client_request_lines_stay_out_of_info_logs() -> None:
    configure_logging("INFO", "json")
    assert logging.getLogger().isEnabledFor(logging.INFO)
    for name in ("httpx", "httpcore"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)


def _log_one_line(stream: TextIO, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("INFO", "console")
    get_logger("tests.logging").warning("logging.probe", answer=42)
    stream.flush()
    # Later tests log to the real stderr again, not to a stream this test closes.
    monkeypatch.undo()
    configure_logging("INFO", "json")


def test_console_logs_written_to_a_file_carry_no_colour_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wump.log"
    with path.open("w") as stream:
        _log_one_line(stream, monkeypatch)

    written = path.read_text()
    assert "logging.probe" in written
    assert "\x1b[" not in written


def test_console_logs_on_a_terminal_are_coloured(monkeypatch: pytest.MonkeyPatch) -> None:
    main, secondary = os.openpty()
    try:
        with os.fdopen(secondary, "w") as terminal:
            _log_one_line(terminal, monkeypatch)
        written = os.read(main, 65536).decode()
    finally:
        os.close(main)

    assert "logging.probe" in written
    assert "\x1b[" in written


def test_a_line_below_the_level_is_dropped_before_any_processing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stamped: list[str] = []
    stamp = structlog.processors.TimeStamper.__call__

    def counting(
        self: structlog.processors.TimeStamper, logger: object, name: str, event: dict[str, str]
    ) -> object:
        stamped.append(event["event"])
        return stamp(self, logger, name, event)

    monkeypatch.setattr(structlog.processors.TimeStamper, "__call__", counting)
    configure_logging("WARNING", "json")
    log = get_logger("tests.logging.levels")
    log.info("logging.below")
    log.warning("logging.above")
    monkeypatch.undo()
    configure_logging("INFO", "json")

    assert stamped == ["logging.above"]
