"""The end-to-end tests share one seeded `wump serve` and one Chromium for the browser tests."""

from tests.e2e.web_server import browser, seeded_database, server

__all__ = ["browser", "seeded_database", "server"]
