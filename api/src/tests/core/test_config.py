"""Settings: defaults, normalization and one-line errors naming the variable."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings, SettingsError, load_settings


def test_defaults_match_the_documented_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "VALKEY_URL", "LOG_FORMAT", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings(_env_file=None)

    assert settings.database_pool_size == 20
    assert settings.database_max_overflow == 10
    assert settings.database_pool_recycle == 3600
    assert settings.valkey_max_connections is None
    assert settings.valkey_socket_timeout == 0.5
    assert settings.valkey_breaker_cooldown == 5.0
    assert settings.database_statement_timeout == 5.0
    assert settings.database_pool_timeout == 5.0
    assert settings.valkey_health_check_interval == 30
    assert settings.health_check_timeout == 5.0
    assert settings.is_embedded_database
    assert settings.is_embedded_cache
    assert settings.effective_log_format == "console"


def test_database_url_gets_the_asyncpg_driver() -> None:
    settings = Settings(database_url="postgres://u:p@db:5432/wump")

    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/wump"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("valkey://127.0.0.1:6379", "redis://127.0.0.1:6379"),
        ("valkeys://cache:6380/1", "rediss://cache:6380/1"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_valkey_urls_are_accepted_in_the_form_redis_py_takes(given: str, expected: str) -> None:
    assert Settings(valkey_url=given).valkey_url == expected


def test_blank_urls_mean_embedded() -> None:
    settings = Settings(database_url="  ", valkey_url="")

    assert settings.is_embedded_database
    assert settings.is_embedded_cache


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")

    assert load_settings().cors_origins == ["https://a.example", "https://b.example"]


def test_production_logs_json_by_default() -> None:
    settings = Settings(environment="production", api_key_secret="s" * 32)

    assert settings.effective_log_format == "json"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_POOL_SIZE", "lots"),
        ("DATABASE_POOL_SIZE", "0"),
        ("VALKEY_SOCKET_TIMEOUT", "-1"),
        ("LOG_FORMAT", "xml"),
        ("ENVIRONMENT", "moon"),
        ("DATABASE_URL", "mysql://db/wump"),
        ("VALKEY_URL", "memcached://cache"),
        ("HEALTH_CHECK_TIMEOUT", "0"),
        ("WEBHOOK_CLAIM_GRACE", "0"),
        ("WEBHOOK_CLAIM_GRACE", "601"),
    ],
)
def test_invalid_value_raises_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert variable in message
    assert "\n" not in message


def test_cli_stops_with_one_readable_line_on_an_invalid_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "lots")

    result = CliRunner().invoke(cli, ["serve"])

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("wump: invalid setting DATABASE_POOL_SIZE")


def _documented_variables() -> dict[str, str | None]:
    example = Path(__file__).resolve().parents[3] / ".env.example"
    documented: dict[str, str | None] = {}
    for line in example.read_text().splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and "=" not in stripped):
            continue
        commented = stripped.startswith("#")
        name, _, value = stripped.lstrip("# ").partition("=")
        if name.isupper():
            documented[name] = None if commented else value
    return documented


def test_env_example_documents_every_setting_with_its_default() -> None:
    documented = _documented_variables()
    defaults = Settings(_env_file=None)

    assert set(documented) == {name.upper() for name in Settings.model_fields}
    for name, value in documented.items():
        if value is None:
            continue
        parsed = Settings.model_validate({name.lower(): value})
        assert getattr(parsed, name.lower()) == getattr(defaults, name.lower()), name
