"""The error hierarchy every layer raises; the API renders it as RFC 9457 problem details."""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar


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


class DatabaseNotReady(ServiceUnavailable):
    code = "database_not_ready"
    title = "Database Not Ready"


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
