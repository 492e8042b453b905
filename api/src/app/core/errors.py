"""Every expected failure wump raises, in one hierarchy; the API renders it as RFC 9457 problem
details with the stable `code` of its class."""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

from app.core.ecosystems import Ecosystem

_CHALLENGE = 'Bearer realm="wump"'


class WumpError(Exception):
    """Base of all expected failures; `status` and `code` are stable parts of the API."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"
    # HTTP fields the problem answer carries, such as WWW-Authenticate.
    headers: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(WumpError):
    status = 404
    code = "not_found"
    title = "Not Found"


class ServiceUnavailable(WumpError):
    status = 503
    code = "service_unavailable"
    title = "Service Unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database did not answer in time or refused the connection; retrying later helps."""

    code = "database_unavailable"
    title = "Database Unavailable"
    headers = MappingProxyType({"Retry-After": "5"})


class DatabaseNotReady(ServiceUnavailable):
    code = "database_not_ready"
    title = "Database Not Ready"


# Lookups and request parameters


class PackageNotFound(NotFound):
    code = "package_not_found"
    title = "Package Not Found"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "Organization Not Found"


class RepositoryNotFound(NotFound):
    code = "repository_not_found"
    title = "Repository Not Found"


class MaintainerNotFound(NotFound):
    code = "maintainer_not_found"
    title = "Maintainer Not Found"


class PortfolioTooLarge(WumpError):
    status = 422
    code = "portfolio_too_large"
    title = "Portfolio Too Large"

    def __init__(self, count: int, cap: int) -> None:
        super().__init__(
            f"{count} package URLs is above the maximum of {cap} (PORTFOLIO_MAX_PACKAGES)",
            max_packages=cap,
        )


class AmbiguousPackage(WumpError):
    """The name exists in several ecosystems; `candidates` lists each one's canonical URL."""

    status = 409
    code = "ambiguous_package"
    title = "Ambiguous Package"

    def __init__(self, name: str, candidates: list[dict[str, Any]]) -> None:
        super().__init__(
            f"{name!r} exists in {len(candidates)} ecosystems; name one of them",
            candidates=candidates,
        )


class UnknownEcosystem(WumpError):
    status = 422
    code = "unknown_ecosystem"
    title = "Unknown Ecosystem"

    def __init__(self, ecosystem: str) -> None:
        valid = [e.value for e in Ecosystem]
        super().__init__(
            f"unknown ecosystem {ecosystem[:50]!r}; expected one of {', '.join(valid)}",
            valid_ecosystems=valid,
        )


class InvalidPackageUrl(WumpError):
    status = 422
    code = "invalid_purl"
    title = "Invalid Package URL"


class InvalidCursor(WumpError):
    status = 400
    code = "invalid_cursor"
    title = "Invalid Cursor"

    def __init__(self) -> None:
        super().__init__("the cursor is malformed or belongs to another sort; start over")


class PageLimitExceeded(WumpError):
    status = 422
    code = "limit_too_large"
    title = "Limit Too Large"

    def __init__(self, limit: int, cap: int) -> None:
        super().__init__(f"limit {limit} is above the maximum of {cap}", max_limit=cap)


# Jobs


class JobNotFound(NotFound):
    code = "job_not_found"
    title = "Job Not Found"


class InvalidJobSubject(WumpError):
    status = 422
    code = "invalid_job_subject"
    title = "Invalid Job Subject"


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"
    title = "Job Queue Unavailable"


# Authentication and limits


class AuthenticationRequired(WumpError):
    status = 401
    code = "authentication_required"
    title = "Authentication Required"
    headers = MappingProxyType({"WWW-Authenticate": _CHALLENGE})


class InvalidApiKey(WumpError):
    """Unknown, malformed, expired or revoked: deliberately one answer for all four."""

    status = 401
    code = "invalid_api_key"
    title = "Invalid API Key"
    headers = MappingProxyType({"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})


class MissingScope(WumpError):
    status = 403
    code = "missing_scope"
    title = "Missing Scope"


class RateLimitExceeded(WumpError):
    status = 429
    code = "rate_limited"
    title = "Too Many Requests"


class TooManyFailedAuthentications(RateLimitExceeded):
    """This address presented too many unusable keys lately; refused before any lookup."""

    code = "too_many_failed_authentications"
    title = "Too Many Failed Authentications"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title = "API Key Not Found"


# Upstream providers


class ProviderError(WumpError):
    """An upstream source (GitHub, ecosyste.ms) failed in a way the caller cannot fix."""

    status = 502
    code = "provider_error"
    title = "Upstream Provider Error"


class ProviderUnavailable(ProviderError):
    status = 503
    code = "provider_unavailable"
    title = "Upstream Provider Unavailable"


class ProviderRateLimited(ProviderError):
    """The upstream allows no more requests until `reset_at`; jobs reschedule for that time."""

    status = 503
    code = "provider_rate_limited"
    title = "Upstream Provider Rate Limited"

    def __init__(self, detail: str | None = None, *, reset_at: datetime, **extra: Any) -> None:
        super().__init__(detail, reset_at=reset_at.isoformat(), **extra)
        self.reset_at = reset_at


class ProviderUnauthorized(ProviderError):
    code = "provider_unauthorized"
    title = "Upstream Provider Rejected The Credentials"


class ProviderForbidden(ProviderError):
    code = "provider_forbidden"
    title = "Upstream Provider Refused Access"


class ProviderBadResponse(ProviderError):
    code = "provider_bad_response"
    title = "Upstream Provider Sent An Unreadable Response"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    title = "Webhook Not Found"


class InvalidWebhook(WumpError):
    status = 422
    code = "invalid_webhook"
    title = "Invalid Webhook"
