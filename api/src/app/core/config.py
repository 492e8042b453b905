"""Settings read from the environment and `api/.env`, validated once at start."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["development", "test", "staging", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["json", "console"]

_DSN_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")
_CACHE_SCHEMES = {"redis": "redis", "rediss": "rediss", "valkey": "redis", "valkeys": "rediss"}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("wump", appauthor=False))


def to_asyncpg_url(url: str) -> str:
    """Return `url` with the asyncpg driver, whatever PostgreSQL scheme it was given with."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in _DSN_SCHEMES:
        raise ValueError(f"expected a postgresql:// URL, got scheme {scheme!r}")
    return f"postgresql+asyncpg://{rest}"


def to_redis_url(url: str) -> str:
    """Return `url` in the redis:// form redis-py accepts (Valkey servers report valkey://)."""
    scheme, sep, rest = url.partition("://")
    mapped = _CACHE_SCHEMES.get(scheme.lower()) if sep else None
    if mapped is None:
        raise ValueError(f"expected a valkey:// or redis:// URL, got {url!r}")
    return f"{mapped}://{rest}"


ANONYMOUS_LIMIT = 30
DEVELOPMENT_ANONYMOUS_LIMIT = 600


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    environment: Environment = "development"
    log_level: LogLevel = "INFO"
    log_format: LogFormat | None = None

    database_url: str | None = None
    # A streaming replica for read-only endpoints; writes and jobs always use DATABASE_URL.
    database_read_url: str | None = None
    database_pool_size: int = Field(default=20, ge=1, le=1000)
    database_max_overflow: int = Field(default=10, ge=0, le=1000)
    database_pool_recycle: int = Field(default=3600, ge=-1)
    # Longest wait for a pooled connection before a request answers 503.
    database_pool_timeout: float = Field(default=5.0, gt=0, le=600)
    # Build the most used package's users page once at start (not cached), so the first request
    # finds the statements compiled, the connection's types known and the pages in memory.
    warm_up_on_start: bool = True
    # Longest statement of an API request (0: none), and the budget of each of its database
    # calls with every wait included; jobs get JOB_STATEMENT_TIMEOUT.
    database_statement_timeout: float = Field(default=5.0, ge=0, le=86_400)
    job_statement_timeout: float = Field(default=600.0, ge=0, le=86_400)

    valkey_url: str | None = None
    # Unset: the database pool plus the worker's concurrency, plus a few (see core.cache).
    valkey_max_connections: int | None = Field(default=None, ge=1, le=10_000)
    # Bounds every Valkey command (connect, pool wait, reply); a stalled cache costs this long.
    valkey_socket_timeout: float = Field(default=0.5, gt=0, le=300)
    # After a failure, Valkey is skipped (cache misses, in-process rate limits) this long.
    valkey_breaker_cooldown: float = Field(default=5.0, gt=0, le=3600)
    valkey_health_check_interval: int = Field(default=30, ge=0, le=3600)

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    health_check_timeout: float = Field(default=5.0, gt=0, le=60)
    wump_data_dir: Path = Field(default_factory=default_data_dir)

    api_key_secret: SecretStr | None = Field(default=None, validate_default=True)
    api_key_last_used_interval: int = Field(default=300, ge=1, le=86_400)
    anonymous_access: bool = True
    # Unset: generous in development, where one person follows the quickstart; strict elsewhere.
    rate_limit_anonymous: int | None = Field(default=None, ge=1)
    # Unusable keys one client address may present per minute before it gets 429 unchecked.
    auth_failure_limit: int = Field(default=20, ge=1, le=1_000_000)
    rate_limit_free: int = Field(default=60, ge=1)
    rate_limit_pro: int = Field(default=600, ge=1)
    rate_limit_enterprise: int = Field(default=6000, ge=1)
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list
    )
    https_only: bool = False
    request_body_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    # The request line and headers together; `wump serve` answers 400 past this.
    http_max_header_bytes: int = Field(default=32 * 1024, ge=1024, le=16 * 1024 * 1024)

    manifest_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Direct dependencies named as the `via` of each transitive lockfile package, nearest first.
    manifest_via_limit: int = Field(default=3, ge=1, le=100)

    page_default_limit: int = Field(default=20, ge=1, le=1000)
    page_max_limit: int = Field(default=100, ge=1, le=1000)
    csv_max_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    cache_ttl_package_users: int = Field(default=3600, ge=1)
    cache_ttl_organization: int = Field(default=6 * 3600, ge=1)
    cache_ttl_stats: int = Field(default=15 * 60, ge=1)

    github_api_url: str = "https://api.github.com"
    github_graphql_url: str = "https://api.github.com/graphql"
    github_token: SecretStr | None = None
    github_tree_max_requests: int = Field(default=200, ge=1, le=10_000)
    # Package URLs one POST /portfolio may name.
    portfolio_max_packages: int = Field(default=200, ge=1, le=10_000)
    ecosystems_api_url: str = "https://repos.ecosyste.ms/api/v1"
    # ecosyste.ms' packages service: a package's metadata (source repository, description).
    ecosystems_packages_api_url: str = "https://packages.ecosyste.ms/api/v1"
    http_user_agent_contact: str | None = None
    http_timeout: float = Field(default=30.0, gt=0, le=600)
    http_max_retries: int = Field(default=4, ge=0, le=20)
    http_backoff_base: float = Field(default=0.5, ge=0, le=60)
    http_backoff_max: float = Field(default=30.0, ge=0, le=3600)
    http_conditional_cache_ttl: int = Field(default=7 * 24 * 3600, ge=60)
    provider_rate_limit_max_wait: float = Field(default=300.0, ge=0, le=86_400)

    ingest_concurrency: int = Field(default=8, ge=1, le=256)
    # Usage events (started / stopped / changed) written by every ingest, kept this long.
    usage_events_enabled: bool = True
    usage_events_retention_days: int = Field(default=365, ge=1, le=36_500)
    # Webhook deliveries: never to loopback, link-local or private addresses unless allowed.
    webhook_allow_private_addresses: bool = False
    webhook_timeout: float = Field(default=5.0, gt=0, le=60)
    # What an attempt's claim on its delivery adds to WEBHOOK_TIMEOUT: its bookkeeping.
    webhook_claim_grace: float = Field(default=10.0, gt=0, le=600)
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    webhook_disable_after_failures: int = Field(default=5, ge=1, le=1000)

    worker_concurrency: int = Field(default=4, ge=1, le=256)
    worker_in_process: bool | None = None
    worker_shutdown_grace: float = Field(default=30.0, ge=0, le=3600)
    job_max_attempts: int = Field(default=5, ge=1, le=100)
    job_retry_backoff_base: float = Field(default=10.0, ge=0, le=3600)
    job_retry_backoff_max: float = Field(default=3600.0, ge=0, le=86_400)
    job_stalled_after: float = Field(default=60.0, ge=2, le=86_400)
    refresh_stale_after_days: float = Field(default=7.0, gt=0, le=3650)
    refresh_stale_batch: int = Field(default=100, ge=1, le=100_000)

    metrics_token: SecretStr | None = None
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = Field(default=9100, ge=0, le=65535)

    @field_validator(
        "database_url",
        "database_read_url",
        "valkey_url",
        "github_token",
        "http_user_agent_contact",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _asyncpg_driver(cls, value: str | None) -> str | None:
        return None if value is None else to_asyncpg_url(value.strip())

    @field_validator("valkey_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        return None if value is None else to_redis_url(value.strip())

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_with_others(cls, value: list[str]) -> list[str]:
        if "*" in value and len(value) > 1:
            raise ValueError("'*' cannot be combined with explicit origins")
        return value

    @field_validator("api_key_secret", "trusted_proxies", mode="before")
    @classmethod
    def _security_inputs(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        if info.field_name == "trusted_proxies":
            return [cidr.strip() for cidr in value.split(",") if cidr.strip()]
        return value.strip() or None

    @field_validator("api_key_secret")
    @classmethod
    def _secret_outside_development(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        # Development and test generate one in the data dir; elsewhere a lost or per-replica
        # secret would silently invalidate every key, so it must be given.
        if value is None and info.data.get("environment") in ("staging", "production"):
            raise ValueError("required when ENVIRONMENT is staging or production")
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.environment == "development" else "json"

    @property
    def anonymous_rate_limit(self) -> int:
        """Requests per minute per client address without a key: RATE_LIMIT_ANONYMOUS, else
        600 in development and 30 in every other environment."""
        if self.rate_limit_anonymous is not None:
            return self.rate_limit_anonymous
        return DEVELOPMENT_ANONYMOUS_LIMIT if self.environment == "development" else ANONYMOUS_LIMIT

    @property
    def is_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def is_embedded_cache(self) -> bool:
        return self.valkey_url is None

    @property
    def runs_worker_in_process(self) -> bool:
        """Unset means: only when `wump serve` started the embedded database (it says so)."""
        return bool(self.worker_in_process)


class SettingsError(Exception):
    """Settings that cannot be used; the message is one readable line naming the variable."""


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        variable = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        parts.append(f"{variable}: {item['msg']}")
    return "invalid setting " + "; ".join(parts)


def load_settings() -> Settings:
    """Build settings from the environment, turning validation failures into SettingsError."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
