"""CLI test fixtures: the webhook receiver and settings of the webhook tests."""

from tests.services.webhooks.conftest import hook_settings, receiver

__all__ = ["hook_settings", "receiver"]
