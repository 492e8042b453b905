"""The browser tests share one seeded `wump serve` and one Chromium (package fixtures)."""

from tests.e2e.web.web_server import browser, seeded_database, server

__all__ = ["browser", "seeded_database", "server"]
