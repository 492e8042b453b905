"""Logging set-up: what reaches the log and what never does."""

import logging

from app.core.logging import configure_logging


def test_http_client_request_lines_stay_out_of_info_logs() -> None:
    configure_logging("INFO", "json")
    assert logging.getLogger().isEnabledFor(logging.INFO)
    for name in ("httpx", "httpcore"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)
