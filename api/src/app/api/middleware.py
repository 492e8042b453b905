"""Security headers, the request body limit and rate-limit headers as one pure ASGI middleware."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.auth import RATE_LIMIT_STATE
from app.api.errors import problem
from app.core.rate_limit import RateLimitResult

_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityMiddleware:
    """Adds security headers to every answer and the rate-limit fields to limited ones.

    Bodies larger than `max_body_bytes` are refused with 413: at once when Content-Length says
    so, otherwise as soon as the streamed body passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, https_only: bool) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            *([_HSTS] if https_only else []),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                result: RateLimitResult | None = scope.get("state", {}).get(RATE_LIMIT_STATE)
                limited = result.headers() if result is not None else []
                headers = [*message.get("headers", ()), *self.headers, *limited]
                if 300 <= message["status"] < 400:
                    headers = _relative_location(scope, headers)
                message["headers"] = headers
            await send(message)

        if self._declared_length(scope) > self.max_body_bytes:
            response = problem(Request(scope), 413, "payload_too_large", self._too_large_detail())
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, self._limited(receive), send_with_headers)

    def _too_large_detail(self) -> str:
        return f"The request body exceeds {self.max_body_bytes} bytes."

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Raised inside the app, so the problem handler renders it as a 413.
                    raise HTTPException(413, self._too_large_detail())
            return message

        return receive_within_limit


def _relative_location(
    scope: Scope, headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """Redirects to this service drop their origin: the router builds it from the client's Host
    header, which anyone can forge."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is None:
        return headers
    rewritten = []
    for name, value in headers:
        if name == b"location":
            for scheme in (b"http://", b"https://"):
                origin = scheme + host
                if value.startswith(origin) and value[len(origin) : len(origin) + 1] in (
                    b"/",
                    b"?",
                    b"",
                ):
                    # Collapsed leading slashes: "//host" would name another site.
                    value = b"/" + value[len(origin) :].lstrip(b"/\\")
                    break
        rewritten.append((name, value))
    return rewritten
