"""The error hierarchy every layer raises; the API renders it as RFC 9457 problem details."""

from typing import Any, ClassVar


class WumpError(Exception):
    """Base of all expected failures; `status` and `code` are stable parts of the API."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"

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
